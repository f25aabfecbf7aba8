import { protectedFields } from './protected-fields.js';
import { permissionRegistry, Scope } from './permission-registry.js';

/** Per type, the protected fields a role or key may see; types not listed show all their fields. */
export type FieldAllowlist = Record<string, string[]>;

export interface RoleDefinition {
  key: string;
  name: string;
  description: string;
  grants: Record<string, Scope>;
  fieldAllowlist: FieldAllowlist | null;
}

export enum BuiltinRoleKey {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  MANAGER = 'MANAGER',
  SALES = 'SALES',
  SUPPORT = 'SUPPORT',
  MARKETING = 'MARKETING',
  READ_ONLY = 'READ_ONLY',
}

const { ALL, TEAM, OWN } = Scope;
const everything = (): Record<string, Scope> => Object.fromEntries(permissionRegistry.list().map((p) => [p.name, ALL]));
const readEverything = {
  'contact:read': ALL,
  'company:read': ALL,
  'activity:read': ALL,
  'tag:read': ALL,
  'customField:read': ALL,
  'user:read': ALL,
};
const allBut = (type: string, ...hidden: string[]) =>
  protectedFields
    .of(type)
    .map((f) => f.field)
    .filter((f) => !hidden.includes(f));

/**
 * The roles every workspace has. Grants are computed when asked, so permissions that plugins register later
 * reach Owner and Admin too.
 */
export const builtinRoles: Record<BuiltinRoleKey, () => RoleDefinition> = {
  OWNER: () => ({
    key: 'OWNER',
    name: 'Owner',
    description: 'Everything, including managing admins and the workspace itself.',
    grants: everything(),
    fieldAllowlist: null,
  }),
  ADMIN: () => ({
    key: 'ADMIN',
    name: 'Admin',
    description: 'Everything: members, roles, API keys, custom fields, audit log, all records.',
    grants: everything(),
    fieldAllowlist: null,
  }),
  MANAGER: () => ({
    key: 'MANAGER',
    name: 'Manager',
    description: 'Sees all records; edits and deletes their teams’ records; imports, exports; manages teams and tags.',
    grants: {
      ...readEverything,
      'contact:create': ALL,
      'contact:update': TEAM,
      'contact:delete': TEAM,
      'company:create': ALL,
      'company:update': TEAM,
      'company:delete': TEAM,
      'activity:create': ALL,
      'activity:update': TEAM,
      'activity:delete': TEAM,
      'comment:create': ALL,
      'comment:delete': TEAM,
      'tag:manage': ALL,
      'team:manage': ALL,
      'import:run': ALL,
      'export:run': ALL,
      'audit:read': ALL,
    },
    fieldAllowlist: null,
  }),
  SALES: () => ({
    key: 'SALES',
    name: 'Sales',
    description: 'Sees their teams’ records; creates records; edits and deletes their own.',
    grants: {
      'contact:read': TEAM,
      'company:read': TEAM,
      'activity:read': TEAM,
      'tag:read': ALL,
      'customField:read': ALL,
      'user:read': ALL,
      'contact:create': ALL,
      'contact:update': OWN,
      'contact:delete': OWN,
      'company:create': ALL,
      'company:update': OWN,
      'company:delete': OWN,
      'activity:create': ALL,
      'activity:update': OWN,
      'activity:delete': OWN,
      'comment:create': ALL,
      'comment:delete': OWN,
    },
    fieldAllowlist: null,
  }),
  SUPPORT: () => ({
    key: 'SUPPORT',
    name: 'Support',
    description: 'Sees all contacts and companies without revenue, headcount or phone numbers; logs and edits their own activities.',
    grants: {
      ...readEverything,
      'contact:update': ALL,
      'activity:create': ALL,
      'activity:update': OWN,
      'activity:delete': OWN,
      'comment:create': ALL,
      'comment:delete': OWN,
    },
    fieldAllowlist: { Company: allBut('Company', 'annualRevenue', 'employeeCount', 'phones'), Contact: allBut('Contact', 'phones') },
  }),
  MARKETING: () => ({
    key: 'MARKETING',
    name: 'Marketing',
    description: 'Sees all contacts and companies; creates and edits contacts (consent, lifecycle); imports, exports; manages tags.',
    grants: {
      ...readEverything,
      'contact:create': ALL,
      'contact:update': ALL,
      'company:create': ALL,
      'company:update': ALL,
      'activity:create': ALL,
      'activity:update': OWN,
      'activity:delete': OWN,
      'comment:create': ALL,
      'comment:delete': OWN,
      'tag:manage': ALL,
      'import:run': ALL,
      'export:run': ALL,
    },
    fieldAllowlist: null,
  }),
  READ_ONLY: () => ({
    key: 'READ_ONLY',
    name: 'Read-only',
    description: 'Sees all records; changes nothing.',
    grants: { ...readEverything },
    fieldAllowlist: null,
  }),
};

/** Grants that registered (plugin) permissions declare for a built-in role (`PermissionDefinition.roleGrants`). */
const declaredGrants = (key: BuiltinRoleKey): Record<string, Scope> =>
  Object.fromEntries(
    permissionRegistry
      .list()
      .map((p) => [p.name, p.roleGrants?.[key as keyof NonNullable<typeof p.roleGrants>]] as const)
      .filter((entry): entry is readonly [string, Scope] => entry[1] != null),
  );

for (const key of Object.keys(builtinRoles) as BuiltinRoleKey[]) {
  const role = builtinRoles[key];
  builtinRoles[key] = () => {
    const definition = role();
    return { ...definition, grants: { ...declaredGrants(key), ...definition.grants } };
  };
}

export const isBuiltinRole = (key: string): key is BuiltinRoleKey => Object.hasOwn(builtinRoles, key);
