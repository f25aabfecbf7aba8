import type { Orm } from '../../db/orm.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import type { Principal } from '../../core/permissions/principal.js';
import { permissionRegistry, Scope } from '../../core/permissions/permission-registry.js';

/** One committed domain event as streamed to a GraphQL subscriber. */
export interface StreamedEvent {
  id: string;
  type: string;
  occurredAt: Date;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  payload: Record<string, unknown>;
}

/** Event prefix → the read permission that guards it (other prefixes: `<prefix>:read` when registered). */
const READ_PERMISSION: Record<string, string> = { contact: 'contact:read', company: 'company:read', activity: 'activity:read', task: 'activity:read' };
const GRAPHQL_TYPE: Record<string, string> = { contact: 'Contact', company: 'Company', activity: 'Activity', task: 'Activity' };

/** Milliseconds between polls of `outbox_event`. */
export const POLL_MS = 250;
/**
 * Events are read by `occurred_at` (set at insert); a transaction that inserted earlier may commit later, so each
 * poll looks back this far and skips ids already sent (a write transaction longer than this could be missed).
 */
export const LOOKBACK_MS = 10_000;

/**
 * Whether the principal may see the event, and the payload it may see:
 * - the event's read permission (`contact.*` → `contact:read`, `task.*`/`activity.*` → `activity:read`, a plugin's
 *   `deal.*` → `deal:read` if registered; none registered: not streamed);
 * - with scope ALL every event of the type; with OWN/TEAM only events whose payload names an owner in reach
 *   (`payload.<prefix>.ownerId`, as in `*.created`) — events without an owner in the payload (updates, deletions)
 *   are not streamed to scoped callers;
 * - protected fields the caller's allowlist hides are removed from the record and from `changes`/`changedFields`.
 */
export function visibleEvent(principal: Principal, event: StreamedEvent): StreamedEvent | null {
  const prefix = event.type.split('.')[0]!;
  const permission = READ_PERMISSION[prefix] ?? `${prefix}:read`;
  if (!permissionRegistry.has(permission) || !principal.access.can(permission)) return null;
  const record = event.payload[prefix] as Record<string, unknown> | undefined;
  if (principal.access.scope(permission) !== Scope.ALL) {
    const owner = record?.ownerId ?? record?.owner;
    if (typeof owner !== 'string' || !principal.access.reaches(permission, [owner])) return null;
  }
  const hidden = principal.access.hiddenFields(GRAPHQL_TYPE[prefix] ?? prefix);
  if (!hidden.size) return event;
  const payload = { ...event.payload };
  if (record) payload[prefix] = Object.fromEntries(Object.entries(record).filter(([k]) => !hidden.has(k)));
  if (payload.changes && typeof payload.changes === 'object') payload.changes = Object.fromEntries(Object.entries(payload.changes).filter(([k]) => !hidden.has(k)));
  if (Array.isArray(payload.changedFields)) payload.changedFields = payload.changedFields.filter((f) => !hidden.has(String(f)));
  return { ...event, payload };
}

/** `types` entries: exact (`contact.created`) or a prefix wildcard (`contact.*`); none or empty: every type. */
export function typeMatcher(types: readonly string[] | null | undefined): (type: string) => boolean {
  if (!types?.length) return () => true;
  return (type) => types.some((t) => t === type || t === '*' || (t.endsWith('.*') && type.startsWith(t.slice(0, -1))));
}

const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

/**
 * The committed domain events of the principal's workspace from now on, as the principal may see them: polls
 * `outbox_event` every POLL_MS in the workspace's tenant context (row-level security; works across processes, only
 * committed events). Ends when `return()` is called (the client completes or disconnects).
 */
export function eventStream(orm: Orm, principal: Principal, types?: readonly string[] | null, pollMs = POLL_MS): AsyncIterableIterator<StreamedEvent> {
  const workspaceId = principal.workspaceId!;
  const wanted = typeMatcher(types);
  const queue: StreamedEvent[] = [];
  const sent = new Map<string, number>();
  let since: Date | null = null;
  let done = false;
  let wake: (() => void) | null = null;

  const poll = async () => {
    const rows = await withWorkspace(orm, workspaceId, async (em) => {
      if (!since) {
        const [now] = await em.execute<{ now: Date }[]>('select clock_timestamp() as now');
        since = date(now!.now);
        return [];
      }
      return em.execute<Record<string, unknown>[]>(
        `select id, type, payload, actor_user_id, actor_api_key_id, occurred_at from outbox_event
         where workspace_id = ? and occurred_at > ? order by occurred_at, id limit 1000`,
        [workspaceId, new Date(since.getTime() - LOOKBACK_MS)],
      );
    });
    for (const row of rows) {
      const id = String(row.id);
      const occurredAt = date(row.occurred_at);
      if (sent.has(id)) continue;
      sent.set(id, occurredAt.getTime());
      if (occurredAt > since!) since = occurredAt;
      if (!wanted(String(row.type))) continue;
      const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>;
      const event = visibleEvent(principal, {
        id,
        type: String(row.type),
        occurredAt,
        actorUserId: (row.actor_user_id as string | null) ?? null,
        actorApiKeyId: (row.actor_api_key_id as string | null) ?? null,
        payload,
      });
      if (event) queue.push(event);
    }
    const horizon = since!.getTime() - LOOKBACK_MS;
    for (const [id, at] of sent) if (at < horizon) sent.delete(id);
  };

  const sleep = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => { wake = null; resolve(); }, pollMs);
      wake = () => { clearTimeout(timer); wake = null; resolve(); };
    });

  // the starting point is taken at once, so events committed after the subscription started are streamed
  let started: Promise<void> | null = poll();
  started.catch(() => undefined);

  const iterator: AsyncIterableIterator<StreamedEvent> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async next() {
      if (started) {
        await started;
        started = null;
      }
      while (!done) {
        const event = queue.shift();
        if (event) return { value: event, done: false };
        await sleep();
        if (done) break;
        await poll();
      }
      return { value: undefined, done: true };
    },
    async return() {
      done = true;
      wake?.();
      return { value: undefined, done: true };
    },
  };
  return iterator;
}
