import { actAs, InputRejected, type DomainEvent, type RequestContext } from '../../src/sdk/index.js';
import type { PluginTestServer } from '../../src/sdk/testing.js';
import { withWorkspace } from '../../src/db/rls/tenant-context.js';
import { toGlobalId } from '../../src/graphql/global-id.js';

/** Runs `work` as a member (or the system: null) of a workspace, on the app's ORM (its registries, row-level security). */
export function as<T>(
  server: PluginTestServer,
  workspaceId: string,
  userId: string | null,
  work: (ctx: RequestContext) => Promise<T>,
): Promise<T> {
  return withWorkspace(server.appOrm, workspaceId, (em) => actAs({ workspaceId, em, settings: {} }, userId, work));
}

/** The user errors of a refused call (fails the test when it was not refused). */
export async function refusal(work: Promise<unknown>): Promise<{ field: string; code: string; message: string }[]> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof InputRejected)) throw new Error(`expected InputRejected, got ${String(error)}`);
  return error.errors.map((e) => ({ field: e.field.join('.'), code: e.code, message: e.message }));
}

export const uuid = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':').pop()!;
export const gid = toGlobalId;

/** The newest outbox event of a type in the workspace, as subscribers receive it. */
export async function lastEvent(server: PluginTestServer, workspaceId: string, type: string): Promise<DomainEvent> {
  const rows = await server.orm.em
    .getConnection()
    .execute(
      `select id, type, workspace_id, payload, occurred_at from outbox_event where workspace_id = ? and type = ? order by occurred_at desc limit 1`,
      [workspaceId, type],
    );
  const row = rows[0];
  if (!row) throw new Error(`no ${type} event`);
  const payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
  return {
    id: row.id,
    type: row.type,
    workspaceId: row.workspace_id,
    occurredAt: new Date(row.occurred_at),
    actor: { userId: null, apiKeyId: null },
    payload,
  };
}
