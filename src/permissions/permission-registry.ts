/**
 * Permissions are named `resource:action`. Scoped permissions are granted with a scope that decides which
 * records they reach: the caller's own, their teams', or all of the workspace's.
 */
export enum Scope {
  OWN = 'OWN',
  TEAM = 'TEAM',
  ALL = 'ALL',
}

export interface PermissionDefinition {
  /** `resource:action`, e.g. `contact:read`. */
  name: string;
  description: string;
  /** Whether own / team scopes apply (records have owners); unscoped permissions are all-or-nothing. */
  scoped: boolean;
  /**
   * Grants of this permission in built-in roles other than Owner and Admin (which hold every permission), by role
   * key — how a plugin gives e.g. Sales its permissions: `{ SALES: 'OWN', MANAGER: 'ALL' }`. Unscoped permissions
   * are granted with `ALL`.
   */
  roleGrants?: Partial<Record<'MANAGER' | 'SALES' | 'SUPPORT' | 'MARKETING' | 'READ_ONLY', 'OWN' | 'TEAM' | 'ALL'>>;
}

/** `resource:action`. */
export const PERMISSION_NAME = /^[a-z][a-zA-Z0-9]*:[a-z][a-zA-Z0-9]*$/;

export class PermissionRegistry {
  readonly #definitions = new Map<string, PermissionDefinition>();

  register(...definitions: PermissionDefinition[]): void {
    for (const definition of definitions) {
      if (!PERMISSION_NAME.test(definition.name)) throw new Error(`Permission "${definition.name}" is not of the form resource:action`);
      if (this.#definitions.has(definition.name)) throw new Error(`Permission "${definition.name}" is registered twice`);
      this.#definitions.set(definition.name, definition);
    }
  }

  get(name: string): PermissionDefinition | undefined {
    return this.#definitions.get(name);
  }

  has(name: string): boolean {
    return this.#definitions.has(name);
  }

  list(): PermissionDefinition[] {
    return [...this.#definitions.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

export const permissionRegistry = new PermissionRegistry();

const crud = (resource: string, label: string, scoped: boolean): PermissionDefinition[] => [
  { name: `${resource}:read`, description: `See ${label}`, scoped },
  { name: `${resource}:create`, description: `Create ${label}`, scoped: false },
  { name: `${resource}:update`, description: `Edit ${label}`, scoped },
  { name: `${resource}:delete`, description: `Delete, restore and purge ${label}`, scoped },
];

permissionRegistry.register(
  ...crud('contact', 'contacts', true),
  ...crud('company', 'companies', true),
  ...crud('activity', 'activities (calls, emails, meetings, notes, tasks) and their comments', true),
  { name: 'comment:create', description: 'Comment on activities one may see', scoped: false },
  { name: 'comment:delete', description: "Edit and delete comments (own: one's own comments)", scoped: true },
  { name: 'tag:read', description: 'See tags', scoped: false },
  { name: 'tag:manage', description: 'Create, rename and delete tags', scoped: false },
  { name: 'customField:read', description: 'See custom field definitions', scoped: false },
  { name: 'customField:manage', description: 'Create, change, archive and delete custom fields', scoped: false },
  { name: 'user:read', description: 'See the members of the workspace', scoped: false },
  { name: 'member:manage', description: 'Invite members, change their roles, remove them', scoped: false },
  { name: 'team:manage', description: 'Create teams and change who is in them', scoped: false },
  { name: 'role:manage', description: 'Create and edit custom roles', scoped: false },
  { name: 'apiKey:manage', description: 'Create and revoke API keys', scoped: false },
  { name: 'audit:read', description: 'Read the audit log', scoped: false },
  { name: 'event:manage', description: 'See and retry dead-lettered event deliveries', scoped: false },
  { name: 'integration:manage', description: 'Create and revoke inbound integrations (POST /hooks/in/<token>)', scoped: false },
  { name: 'webhook:manage', description: 'Manage webhook endpoints, their secrets and deliveries', scoped: false },
  { name: 'automation:manage', description: 'Create, change, test and switch off automation rules; see their runs', scoped: false },
  { name: 'email:manage', description: 'Create, change and delete email templates', scoped: false, roleGrants: { MARKETING: 'ALL' } },
  {
    name: 'email:send',
    description: 'Send email to contacts one may see and see the emails sent',
    scoped: false,
    roleGrants: { MANAGER: 'ALL', SALES: 'ALL', SUPPORT: 'ALL', MARKETING: 'ALL' },
  },
  { name: 'workspace:update', description: 'Rename the workspace and change its settings', scoped: false },
  { name: 'import:run', description: 'Import CSV files (also needs create and update on the records)', scoped: false },
  { name: 'export:run', description: 'Export lists as CSV (only records and fields one may read)', scoped: false },
  {
    name: 'privacy:manage',
    description: 'Export and erase a contact’s personal data (subject access and erasure requests)',
    scoped: false,
  },
  { name: 'module:manage', description: 'Enable, disable and configure the workspace’s modules (plugins)', scoped: false },
);

/** The kernel's own permission names (taken before any plugin registers): no plugin may declare one of them. */
export const kernelPermissionNames: ReadonlySet<string> = new Set(permissionRegistry.list().map((p) => p.name));
