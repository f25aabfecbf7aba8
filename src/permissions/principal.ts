import type { SqlEntityManager } from '@mikro-orm/sql';
import { Access } from './access.js';
import { builtinRoles, isBuiltinRole, type FieldAllowlist, type RoleDefinition } from './builtin-roles.js';
import { protectedFields } from './protected-fields.js';
import type { Scope } from './permission-registry.js';

export type PrincipalKind = 'anonymous' | 'user' | 'apiKey';

/** Who calls: an anonymous caller, a signed-in member, or an API key — always in at most one workspace. */
export interface Principal {
  kind: PrincipalKind;
  workspaceId: string | null;
  /** The member (for an API key: the member who created it; their records are the key's "own"). */
  userId: string | null;
  apiKeyId: string | null;
  /** The refresh-token family of a signed-in session (revoked on logout and password change). */
  sessionId: string | null;
  /** Built-in role key or custom role id. */
  roleKey: string | null;
  access: Access;
}

export const anonymous = (): Principal => ({
  kind: 'anonymous',
  workspaceId: null,
  userId: null,
  apiKeyId: null,
  sessionId: null,
  roleKey: null,
  access: Access.none,
});

/** A role by key: built-in, or one of the workspace's custom roles (null when it does not exist). */
export async function findRole(em: SqlEntityManager, workspaceId: string, key: string): Promise<RoleDefinition | null> {
  if (isBuiltinRole(key)) return builtinRoles[key]();
  if (!/^[0-9a-f-]{36}$/i.test(key)) return null;
  const rows = await em.execute<
    {
      id: string;
      name: string;
      description: string | null;
      grants: Record<string, Scope> | string;
      field_allowlist: FieldAllowlist | string | null;
    }[]
  >('select id, name, description, grants, field_allowlist from custom_role where workspace_id = ? and id = ?', [workspaceId, key]);
  const row = rows[0];
  if (!row) return null;
  const json = <T>(v: T | string): T => (typeof v === 'string' ? JSON.parse(v) : v);
  return {
    key: row.id,
    name: row.name,
    description: row.description ?? '',
    grants: json(row.grants),
    fieldAllowlist: row.field_allowlist == null ? null : json(row.field_allowlist),
  };
}

/** Users sharing at least one team with the user, including the user. */
export async function teamMatesOf(em: SqlEntityManager, workspaceId: string, userId: string): Promise<string[]> {
  const rows = await em.execute<{ user_id: string }[]>(
    `select distinct o.user_id from team_member m join team_member o on o.team_id = m.team_id and o.workspace_id = m.workspace_id
      where m.workspace_id = ? and m.user_id = ?`,
    [workspaceId, userId],
  );
  const ids = rows.map((r) => r.user_id);
  return ids.includes(userId) ? ids : [userId, ...ids];
}

/** The access of a role held by a user whose teammates are known, narrowed by an optional extra allowlist (an API key's). */
export function accessOf(
  role: RoleDefinition,
  userId: string | null,
  teamUserIds: readonly string[],
  extraAllowlist: FieldAllowlist | null = null,
): Access {
  const allowlists = [role.fieldAllowlist, extraAllowlist].filter((a): a is FieldAllowlist => a != null);
  const team = userId && !teamUserIds.includes(userId) ? [userId, ...teamUserIds] : teamUserIds;
  return new Access(new Map(Object.entries(role.grants)), userId, team, allowlists, (type) => protectedFields.of(type).map((f) => f.field));
}

/** The access of a role held by a user (reads the user's teammates), narrowed by an optional extra allowlist. */
export async function accessFor(
  em: SqlEntityManager,
  workspaceId: string,
  userId: string | null,
  role: RoleDefinition,
  extraAllowlist: FieldAllowlist | null = null,
): Promise<Access> {
  return accessOf(role, userId, userId ? await teamMatesOf(em, workspaceId, userId) : [], extraAllowlist);
}

/** A member's principal in a workspace (no session), or null when the user is not a member there. */
export async function memberPrincipal(
  em: SqlEntityManager,
  workspaceId: string,
  userId: string,
  sessionId: string | null = null,
): Promise<Principal | null> {
  const rows = await em.execute<{ role: string }[]>('select role from membership where workspace_id = ? and user_id = ?', [
    workspaceId,
    userId,
  ]);
  const role = rows[0] ? await findRole(em, workspaceId, rows[0].role) : null;
  if (!role) return null;
  return {
    kind: 'user',
    workspaceId,
    userId,
    apiKeyId: null,
    sessionId,
    roleKey: role.key,
    access: await accessFor(em, workspaceId, userId, role),
  };
}
