import type { Orm } from '../../db/orm.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import type { Principal } from '../../permissions/principal.js';
import { permissionRegistry, Scope } from '../../permissions/permission-registry.js';

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
const READ_PERMISSION: Record<string, string> = {
  contact: 'contact:read',
  company: 'company:read',
  activity: 'activity:read',
  task: 'activity:read',
};
const GRAPHQL_TYPE: Record<string, string> = { contact: 'Contact', company: 'Company', activity: 'Activity', task: 'Activity' };

/** Milliseconds between polls of `outbox_event` (one poll per workspace with subscribers, per process). */
export const POLL_MS = 250;

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
  if (payload.changes && typeof payload.changes === 'object')
    payload.changes = Object.fromEntries(Object.entries(payload.changes).filter(([k]) => !hidden.has(k)));
  if (Array.isArray(payload.changedFields)) payload.changedFields = payload.changedFields.filter((f) => !hidden.has(String(f)));
  return { ...event, payload };
}

/** `types` entries: exact (`contact.created`) or a prefix wildcard (`contact.*`); none or empty: every type. */
export function typeMatcher(types: readonly string[] | null | undefined): (type: string) => boolean {
  if (!types?.length) return () => true;
  return (type) => types.some((t) => t === type || t === '*' || (t.endsWith('.*') && type.startsWith(t.slice(0, -1))));
}

const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

type Listener = (events: StreamedEvent[]) => void;

/**
 * The committed events of one workspace, polled once per interval for all of its subscribers in this process, in the
 * workspace's tenant context (row-level security). Nothing is missed, nothing sent twice, nothing held back:
 * the horizon is the oldest transaction still running anywhere (`pg_snapshot_xmin`) — every transaction below it has
 * finished and no new one can start below it. Each poll reads every committed event whose inserting transaction
 * (`tx_id`) is at or above the previous horizon, and skips those already sent; ids sent are remembered only while
 * their transaction is at or above the horizon (below it they are never read again). A long transaction thus delays
 * nothing: its event is read when it commits, other transactions' events as soon as they commit. Polls while it has
 * listeners.
 */
class WorkspaceFeed {
  readonly #listeners = new Set<Listener>();
  #horizon: string | null = null;
  /** Event id → its transaction id, for events sent whose transaction is not yet below the horizon. */
  readonly #sent = new Map<string, bigint>();
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;

  constructor(
    private readonly orm: Orm,
    private readonly workspaceId: string,
    private readonly pollMs: number,
    private readonly onIdle: () => void,
  ) {}

  /** Resolves once the feed's starting point is set: events committed after that reach the listener. */
  async add(listener: Listener): Promise<void> {
    this.#listeners.add(listener);
    if (!this.#polling && !this.#timer) this.#polling = this.#poll();
    await this.#polling;
  }

  remove(listener: Listener): void {
    this.#listeners.delete(listener);
    if (this.#listeners.size) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.onIdle();
  }

  async #poll(): Promise<void> {
    try {
      const { horizon, rows } = await withWorkspace(this.orm, this.workspaceId, async (em) => {
        const [{ horizon }] = (await em.execute<{ horizon: string }[]>(
          'select pg_snapshot_xmin(pg_current_snapshot())::text as horizon',
        )) as [{ horizon: string }];
        if (this.#horizon === null) return { horizon, rows: [] };
        const rows = await em.execute<Record<string, unknown>[]>(
          `select id, type, payload, actor_user_id, actor_api_key_id, occurred_at, tx_id::text as tx_id from outbox_event
           where workspace_id = ? and tx_id >= ?::xid8 order by tx_id, occurred_at, id`,
          [this.workspaceId, this.#horizon],
        );
        return { horizon, rows };
      });
      // only after a successful read: a failed poll is retried from the same horizon
      this.#horizon = horizon;
      const events = rows.filter((row) => !this.#sent.has(String(row.id)));
      for (const row of events) this.#sent.set(String(row.id), BigInt(String(row.tx_id)));
      const below = BigInt(horizon);
      for (const [id, tx] of this.#sent) if (tx < below) this.#sent.delete(id);
      if (events.length) {
        const batch = events.map((row) => ({
          id: String(row.id),
          type: String(row.type),
          occurredAt: date(row.occurred_at),
          actorUserId: (row.actor_user_id as string | null) ?? null,
          actorApiKeyId: (row.actor_api_key_id as string | null) ?? null,
          payload: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>,
        }));
        for (const listener of this.#listeners) listener(batch);
      }
    } catch {
      // a failed poll (database restarting) is retried at the next interval from the same horizon
    } finally {
      this.#polling = null;
      if (this.#listeners.size) {
        this.#timer = setTimeout(() => {
          this.#timer = null;
          this.#polling = this.#poll();
        }, this.pollMs);
        this.#timer.unref?.();
      }
    }
  }
}

const feeds = new WeakMap<Orm, Map<string, WorkspaceFeed>>();

function feedOf(orm: Orm, workspaceId: string, pollMs: number): WorkspaceFeed {
  let byWorkspace = feeds.get(orm);
  if (!byWorkspace) {
    byWorkspace = new Map();
    feeds.set(orm, byWorkspace);
  }
  let feed = byWorkspace.get(workspaceId);
  if (!feed) {
    feed = new WorkspaceFeed(orm, workspaceId, pollMs, () => byWorkspace!.delete(workspaceId));
    byWorkspace.set(workspaceId, feed);
  }
  return feed;
}

/**
 * The committed domain events of the principal's workspace from now on, as the principal may see them (its types,
 * permissions, scope and field allowlist), from the workspace's shared feed. Ends when `return()` is called (the client
 * completes or disconnects).
 */
export function eventStream(
  orm: Orm,
  principal: Principal,
  types?: readonly string[] | null,
  pollMs = POLL_MS,
): AsyncIterableIterator<StreamedEvent> {
  const wanted = typeMatcher(types);
  return workspaceEventStream(orm, principal.workspaceId!, (event) => (wanted(event.type) ? visibleEvent(principal, event) : null), pollMs);
}

/**
 * The committed domain events of one workspace from now on that `pick` returns (null: skipped), from the workspace's
 * shared feed — for streams with a filter of their own (notifications: only the subscriber's). No permission check:
 * `pick` decides what the caller may see.
 */
export function workspaceEventStream(
  orm: Orm,
  workspaceId: string,
  pick: (event: StreamedEvent) => StreamedEvent | null,
  pollMs = POLL_MS,
): AsyncIterableIterator<StreamedEvent> {
  const queue: StreamedEvent[] = [];
  let done = false;
  let wake: (() => void) | null = null;
  const listener: Listener = (events) => {
    for (const event of events) {
      const picked = pick(event);
      if (picked) queue.push(picked);
    }
    wake?.();
  };
  const feed = feedOf(orm, workspaceId, pollMs);
  // the starting point is taken at once, so events committed after the subscription started are streamed
  let started: Promise<void> | null = feed.add(listener);
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
        await new Promise<void>(
          (resolve) =>
            (wake = () => {
              wake = null;
              resolve();
            }),
        );
      }
      return { value: undefined, done: true };
    },
    async return() {
      if (!done) feed.remove(listener);
      done = true;
      wake?.();
      return { value: undefined, done: true };
    },
  };
  return iterator;
}
