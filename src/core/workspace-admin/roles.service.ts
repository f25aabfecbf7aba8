import type { SqlEntityManager } from '@mikro-orm/sql';
import { z } from 'zod';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { UUID } from '../../graphql/global-id.js';
import { Sql, sql } from '../../db/sql.js';
import type { Access } from '../../permissions/access.js';
import { builtinRoles, BuiltinRoleKey, isBuiltinRole, type FieldAllowlist, type RoleDefinition } from '../../permissions/builtin-roles.js';
import { permissionRegistry, Scope } from '../../permissions/permission-registry.js';
import { protectedFields } from '../../permissions/protected-fields.js';
import { CustomRole } from '../roles/role.entity.js';
import { optionalText, parseInput, trimmed } from '../shared/validation.js';
import type { RoleView } from './workspace-admin.types.js';

const SCOPE_RANK: Record<Scope, number> = { OWN: 1, TEAM: 2, ALL: 3 };

export const builtinRoleView = (key: BuiltinRoleKey): RoleView => ({ ...builtinRoles[key](), builtIn: true });

export const customRoleView = (role: CustomRole): RoleView => ({
  key: role.id,
  name: role.name,
  description: role.description ?? '',
  builtIn: false,
  grants: role.grants,
  fieldAllowlist: role.fieldAllowlist ?? null,
});

/** Built-in roles first (most powerful first), then the workspace's custom roles by name. */
export async function listRoles(em: SqlEntityManager): Promise<RoleView[]> {
  const custom = await em.find(CustomRole, {}, { orderBy: { name: 'asc' } });
  return [...Object.values(BuiltinRoleKey).map(builtinRoleView), ...custom.map(customRoleView)];
}

/** A role by key (built-in key or custom role id) in the caller's workspace, per request. */
export function roleLoader(ctx: RequestContext) {
  return ctx.loaders.get<string, RoleView | null>('workspaceAdmin.role', async (keys, c) => {
    const ids = keys.filter((k) => !isBuiltinRole(k) && UUID.test(k));
    const custom = ids.length ? await c.em.find(CustomRole, { id: { $in: ids } }) : [];
    const byId = new Map(custom.map((r) => [r.id, customRoleView(r)]));
    return keys.map((k) => (isBuiltinRole(k) ? builtinRoleView(k) : (byId.get(k.toLowerCase()) ?? null)));
  });
}

/** Members holding each role, per request (one grouped query). */
export function memberCountLoader(ctx: RequestContext) {
  return ctx.loaders.get<string, number>('workspaceAdmin.memberCount', async (keys, c) => {
    const q = sql`select role, count(*)::int as n from membership where workspace_id = ${workspaceOf(c)} and role in (${Sql.join(
      keys.map((k) => sql`${k}`),
      ', ',
    )}) group by role`;
    const rows = await c.em.execute<{ role: string; n: number }[]>(q.text, q.params);
    const counts = new Map(rows.map((r) => [r.role, Number(r.n)]));
    return keys.map((k) => counts.get(k) ?? 0);
  });
}

/** A role that can be assigned in the workspace, or a NOT_FOUND user error naming `field`. */
export async function assignableRole(em: SqlEntityManager, key: string, field: string): Promise<RoleView> {
  const trimmedKey = key.trim();
  if (isBuiltinRole(trimmedKey)) return builtinRoleView(trimmedKey);
  const role = UUID.test(trimmedKey) ? await em.findOne(CustomRole, { id: trimmedKey.toLowerCase() }) : null;
  if (!role)
    throw InputRejected.one(
      field,
      `no role "${key}" in this workspace (use a built-in key such as SALES or a custom role id)`,
      ErrorCode.NOT_FOUND,
    );
  return customRoleView(role);
}

/** Whether a role shows a protected field. */
const roleShows = (allowlist: FieldAllowlist | null, type: string, field: string) =>
  !allowlist || !(type in allowlist) || allowlist[type]!.includes(field);

/**
 * Callers cannot hand out more than they hold: every grant of the role must be held by the caller with at least
 * the same scope, and the role must not show a protected field hidden from the caller.
 */
export function escalationErrors(
  access: Access,
  role: { grants: RoleDefinition['grants']; fieldAllowlist: FieldAllowlist | null | undefined },
  field: string,
): UserError[] {
  const errors: UserError[] = [];
  const above = Object.entries(role.grants).filter(([permission, scope]) => {
    const mine = access.scope(permission);
    return !mine || SCOPE_RANK[mine] < SCOPE_RANK[scope];
  });
  if (above.length) {
    errors.push(
      userError(
        field,
        `you cannot hand out permissions beyond your own: ${above.map(([p, s]) => `${p} (${s})`).join(', ')}`,
        ErrorCode.FORBIDDEN,
      ),
    );
  }
  // undefined: the allowlist is not being changed
  const shown =
    role.fieldAllowlist === undefined
      ? []
      : protectedFields.all().filter((f) => roleShows(role.fieldAllowlist!, f.type, f.field) && !access.canSeeField(f.type, f.field));
  if (shown.length) {
    errors.push(
      userError(
        field,
        `you cannot show fields hidden from you: ${shown.map((f) => `${f.type}.${f.field}`).join(', ')}`,
        ErrorCode.FORBIDDEN,
      ),
    );
  }
  return errors;
}

const grantSchema = z
  .array(z.object({ permission: z.string().max(100), scope: z.enum(Scope).nullish() }))
  .max(500, { message: 'must have at most 500 grants' });

/** Checks grants against the permission registry; throws every problem at once. */
export function validateGrants(grants: { permission: string; scope?: Scope | null }[]): Record<string, Scope> {
  const parsed = parseInput(grantSchema, grants, ['grants']);
  const errors: UserError[] = [];
  const result: Record<string, Scope> = {};
  parsed.forEach(({ permission, scope }, i) => {
    const name = permission.trim();
    const definition = permissionRegistry.get(name);
    if (!definition) {
      errors.push(userError(['grants', String(i), 'permission'], `unknown permission "${name}"`, ErrorCode.BAD_USER_INPUT));
      return;
    }
    if (Object.hasOwn(result, name)) {
      errors.push(userError(['grants', String(i), 'permission'], `"${name}" is granted twice`, ErrorCode.BAD_USER_INPUT));
      return;
    }
    const effective = scope ?? Scope.ALL;
    if (!definition.scoped && effective !== Scope.ALL) {
      errors.push(userError(['grants', String(i), 'scope'], `"${name}" has no scopes: grant it with ALL`, ErrorCode.BAD_USER_INPUT));
      return;
    }
    result[name] = effective;
  });
  if (errors.length) throw new InputRejected(errors);
  return result;
}

/** Checks a field allowlist: known types with protected fields, and only their protected fields. */
export function validateAllowlist(value: unknown): FieldAllowlist | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw InputRejected.one(
      'fieldAllowlist',
      'must be an object of type name → list of protected field names, e.g. {"Company": ["address"]}',
    );
  }
  const errors: UserError[] = [];
  const result: FieldAllowlist = {};
  const types = protectedFields.types();
  for (const [type, fields] of Object.entries(value as Record<string, unknown>)) {
    if (!types.includes(type)) {
      errors.push(
        userError(['fieldAllowlist', type], `"${type}" has no protected fields (types with protected fields: ${types.join(', ')})`),
      );
      continue;
    }
    if (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string')) {
      errors.push(userError(['fieldAllowlist', type], 'must be a list of field names'));
      continue;
    }
    const known = protectedFields.of(type).map((f) => f.field);
    fields.forEach((field: string, i) => {
      if (!known.includes(field)) {
        errors.push(
          userError(['fieldAllowlist', type, String(i)], `${type}.${field} is not a protected field (protected: ${known.join(', ')})`),
        );
      }
    });
    result[type] = [...new Set(fields as string[])];
  }
  if (errors.length) throw new InputRejected(errors);
  return result;
}

const nameSchema = trimmed(100).pipe(z.string().min(1, { message: 'must not be empty' }));
const descriptionSchema = optionalText(1000);

async function rejectDuplicateName(em: SqlEntityManager, workspaceId: string, name: string, exceptId: string | null): Promise<void> {
  const lower = name.toLowerCase();
  const builtin = Object.values(BuiltinRoleKey).find((k) => k.toLowerCase() === lower || builtinRoles[k]().name.toLowerCase() === lower);
  if (builtin) throw InputRejected.one('name', `"${name}" is the name of a built-in role`, ErrorCode.CONFLICT);
  const q = sql`select id from custom_role where workspace_id = ${workspaceId} and lower(name) = ${lower}${exceptId ? sql` and id <> ${exceptId}` : sql``}`;
  const clash = await em.execute<{ id: string }[]>(q.text, q.params);
  if (clash.length) throw InputRejected.one('name', `a role named "${name}" already exists`, ErrorCode.CONFLICT);
}

export interface RoleInput {
  name?: string | null;
  description?: string | null;
  grants?: { permission: string; scope?: Scope | null }[] | null;
  fieldAllowlist?: unknown;
}

/** Collects validation problems of every part so the client sees them all at once. */
function collect<T>(errors: UserError[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InputRejected) {
      errors.push(...error.errors);
      return undefined;
    }
    throw error;
  }
}

export async function createRole(em: SqlEntityManager, workspaceId: string, access: Access, input: RoleInput): Promise<CustomRole> {
  const errors: UserError[] = [];
  const name = collect(errors, () => parseInput(nameSchema, input.name, ['name']));
  const description = collect(errors, () => parseInput(descriptionSchema, input.description, ['description']));
  const grants = collect(errors, () => validateGrants(input.grants ?? []));
  const fieldAllowlist = collect(errors, () => validateAllowlist(input.fieldAllowlist));
  if (grants && fieldAllowlist !== undefined) errors.push(...escalationErrors(access, { grants, fieldAllowlist }, 'grants'));
  if (errors.length) throw new InputRejected(errors);
  await rejectDuplicateName(em, workspaceId, name!, null);
  const role = em.create(CustomRole, {
    workspaceId,
    name: name!,
    description: description ?? null,
    grants: grants!,
    fieldAllowlist: fieldAllowlist ?? null,
  });
  await em.flush();
  return role;
}

/** The custom role a mutation names; built-in roles are refused. */
export async function customRoleOrReject(em: SqlEntityManager, id: string): Promise<CustomRole> {
  const key = id.trim();
  if (isBuiltinRole(key))
    throw InputRejected.one('id', `${key} is a built-in role: built-in roles cannot be changed or deleted`, ErrorCode.FORBIDDEN);
  const role = UUID.test(key) ? await em.findOne(CustomRole, { id: key.toLowerCase() }) : null;
  if (!role) throw InputRejected.one('id', 'role not found', ErrorCode.NOT_FOUND);
  return role;
}

export async function updateRole(
  em: SqlEntityManager,
  workspaceId: string,
  access: Access,
  id: string,
  input: RoleInput,
): Promise<CustomRole> {
  const role = await customRoleOrReject(em, id);
  const errors: UserError[] = [];
  const name = input.name != null ? collect(errors, () => parseInput(nameSchema, input.name, ['name'])) : undefined;
  const description =
    input.description !== undefined ? collect(errors, () => parseInput(descriptionSchema, input.description, ['description'])) : undefined;
  const grants = input.grants != null ? collect(errors, () => validateGrants(input.grants!)) : undefined;
  const fieldAllowlist = input.fieldAllowlist !== undefined ? collect(errors, () => validateAllowlist(input.fieldAllowlist)) : undefined;
  if (errors.length) throw new InputRejected(errors);
  const next = {
    grants: grants ?? role.grants,
    fieldAllowlist: fieldAllowlist !== undefined ? fieldAllowlist : (role.fieldAllowlist ?? null),
  };
  // only what changes is checked: an admin may still rename a role that someone more powerful created
  const escalation = escalationErrors(access, { grants: grants ?? {}, fieldAllowlist }, grants ? 'grants' : 'fieldAllowlist');
  if (escalation.length) throw new InputRejected(escalation);
  if (name !== undefined && name !== role.name) {
    await rejectDuplicateName(em, workspaceId, name, role.id);
    role.name = name;
  }
  if (description !== undefined) role.description = description;
  role.grants = next.grants;
  role.fieldAllowlist = next.fieldAllowlist;
  await em.flush();
  return role;
}

/** Deletes a custom role no member, API key or pending invitation holds. */
export async function deleteRole(em: SqlEntityManager, workspaceId: string, id: string): Promise<string> {
  const role = await customRoleOrReject(em, id);
  const users: string[] = [];
  const count = async (q: Sql) => Number((await em.execute<{ n: number }[]>(q.text, q.params))[0]?.n ?? 0);
  const members = await count(sql`select count(*)::int as n from membership where workspace_id = ${workspaceId} and role = ${role.id}`);
  if (members) users.push(`${members} member${members === 1 ? '' : 's'}`);
  const invitations = await count(
    sql`select count(*)::int as n from invitation where workspace_id = ${workspaceId} and role = ${role.id} and accepted_at is null and revoked_at is null and expires_at > now()`,
  );
  if (invitations) users.push(`${invitations} pending invitation${invitations === 1 ? '' : 's'}`);
  // API keys come with the identity module; count them once their table has a role column
  const [apiKeyTable] = await em.execute<{ has_role: boolean; has_revoked: boolean }[]>(
    `select exists (select 1 from information_schema.columns where table_schema = current_schema() and table_name = 'api_key' and column_name = 'role') as has_role,
            exists (select 1 from information_schema.columns where table_schema = current_schema() and table_name = 'api_key' and column_name = 'revoked_at') as has_revoked`,
  );
  if (apiKeyTable?.has_role) {
    const keys = await count(
      sql`select count(*)::int as n from api_key where workspace_id = ${workspaceId} and role = ${role.id}${apiKeyTable.has_revoked ? sql` and revoked_at is null` : sql``}`,
    );
    if (keys) users.push(`${keys} API key${keys === 1 ? '' : 's'}`);
  }
  if (users.length)
    throw InputRejected.one('id', `the role is still held by ${users.join(', ')}: assign them another role first`, ErrorCode.CONFLICT);
  em.remove(role);
  await em.flush();
  return role.id;
}
