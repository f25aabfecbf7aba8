import type { Orm } from '../db/orm.js';
import type { Principal } from '../graphql/context.js';
import { anonymous, memberPrincipal } from '../core/permissions/principal.js';
import { UUID } from '../graphql/global-id.js';


/** Workspace slugs and ids never change once created (there is no rename or delete yet): resolve each once. */
const knownWorkspaces = new Map<string, string>();

/**
 * Resolves who calls from the request headers: `X-Workspace` (slug or id) and optionally `X-User`
 * (email or id of a member). This stands in for sign-in until the identity module replaces it.
 */
export async function principalFromHeaders(orm: Orm, headers: Record<string, string | string[] | undefined>): Promise<Principal> {
  const workspaceRef = header(headers, 'x-workspace');
  const userRef = header(headers, 'x-user');
  const conn = orm.em.getConnection();
  let workspaceId: string | null = null;
  if (workspaceRef) {
    const key = workspaceRef.toLowerCase();
    workspaceId = knownWorkspaces.get(key) ?? null;
    if (!workspaceId) {
      const rows = await conn.execute<{ id: string }[]>(
        UUID.test(key) ? 'select id from workspace where id = ?' : 'select id from workspace where slug = ?',
        [key],
      );
      workspaceId = rows[0]?.id ?? null;
      if (!workspaceId) throw new UnknownWorkspace(workspaceRef);
      if (knownWorkspaces.size >= 10_000) knownWorkspaces.clear();
      knownWorkspaces.set(key, workspaceId);
    }
  }
  let userId: string | null = null;
  if (userRef && workspaceId) {
    const rows = await conn.execute<{ id: string }[]>(
      `select u.id from app_user u join membership m on m.user_id = u.id and m.workspace_id = ? where ${UUID.test(userRef) ? 'u.id' : 'u.email'} = ?`,
      [workspaceId, userRef.toLowerCase()],
    );
    userId = rows[0]?.id ?? null;
    if (!userId) throw new UnknownUser(userRef);
  }
  if (!workspaceId) return anonymous();
  if (!userId) return { ...anonymous(), workspaceId };
  const principal = await memberPrincipal(orm.em.fork() as never, workspaceId, userId);
  if (!principal) throw new UnknownUser(userRef!);
  return principal;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.trim() ? first.trim().slice(0, 320) : null;
}

export class UnknownWorkspace extends Error {
  constructor(ref: string) {
    super(`No workspace "${ref}" (X-Workspace header).`);
  }
}

export class UnknownUser extends Error {
  constructor(ref: string) {
    super(`No member "${ref}" in this workspace (X-User header).`);
  }
}
