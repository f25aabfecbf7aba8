import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../db/orm.js';
import { withWorkspace } from '../db/rls/tenant-context.js';
import type { DomainEvent } from './handlers.js';
import type { CausationLink } from './causation.js';
import { eventsOf, type PluginEnabledCheck, type RegisteredSubscriber } from './registry.js';

/** The transaction-local setting the `outbox_worker` policies admit (migrations/Migration20261123140000Outbox.ts). */
export const WORKER_SETTING = 'app.outbox_worker';

export interface WorkerLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OutboxWorkerOptions {
  /** The application's ORM (PostgreSQL: the app role, under row-level security). */
  orm: Orm;
  /** Milliseconds between polls (OUTBOX_POLL_MS, default 200). */
  pollMs?: number;
  /** Workspace batches (transactions) in flight at once, across all subscribers (default 8). */
  concurrency?: number;
  /** Deliveries claimed per poll at most (default 50). */
  batchSize?: number;
  /** Deliveries of one workspace handled in one transaction at most (default 16). */
  groupSize?: number;
  /** Back-off after the n-th failed attempt: base × 2^(n−1), half of it jittered, capped by backoffMaxMs. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A claim lasts the subscriber's timeout plus this (a crashed worker's claims expire then; default 30 s). */
  leaseMarginMs?: number;
  /** Whether a plugin is enabled in a workspace; default: the check of the app owning `orm` (eventsOf). */
  isEnabled?: PluginEnabledCheck;
  logger?: WorkerLogger;
}

interface ClaimedRow {
  id: string;
  subscriber: string;
  plugin: string;
  attempts: number;
  workspace_id: string;
  event_id: string;
  type: string;
  payload: unknown;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  causation: unknown;
  occurred_at: string | Date;
  next_attempt_at: string | Date;
}

/** Records that `subscriber` handled `event`: true the first time, false when it already had. */
async function claimEvent(em: SqlEntityManager, event: DomainEvent, subscriber: string): Promise<boolean> {
  const rows = await em.execute<unknown[]>(
    `insert into processed_event (event_id, subscriber, workspace_id) values (?, ?, ?) on conflict do nothing returning event_id`,
    [event.id, subscriber, event.workspaceId],
  );
  return rows.length > 0;
}

const silent: WorkerLogger = { warn: () => undefined, error: () => undefined };

class DeliveryTimeout extends Error {}

/**
 * Delivers the outbox to after subscribers, at least once.
 *
 * - Claim: one statement in a short transaction (with `app.outbox_worker` on, so the policies admit every
 *   workspace's rows) picks due pending deliveries of subscribers this process knows (`for update skip locked`) —
 *   at most `groupSize` of each of at most as many workspaces as there are free slots — counts the attempt and sets
 *   `locked_until` (timeout + margin): two workers never take the same row, and the claim of a worker that died expires.
 * - Deliver: outside the claim transaction, one workspace's deliveries together, at most `concurrency` workspaces
 *   at once: on PostgreSQL one transaction with the tenant context (`withWorkspace`) and a savepoint per delivery,
 *   so a throwing handler rolls back only its own work; each handler raced against its subscriber's `timeoutMs`. A
 *   hanging handler fails its delivery and rolls the batch back: the batch's other deliveries are released
 *   unpenalised (their attempt not counted) and run again at the next poll — at least once, as always. The process
 *   and other workspaces carry on (a hung handler's promise is abandoned). On PGlite (one connection, no
 *   transaction per workspace) the batch's deliveries run one after another.
 * - Settle: the batch's delivered (and skipped) deliveries in one statement; a failed one pending again after
 *   exponential back-off, or `dead` once `maxAttempts` attempts were made (the dead-letter list, retried by an admin). The update names the claimed attempt number, so a worker whose
 *   claim expired and was taken over cannot overwrite the newer claim's outcome.
 * - A delivery whose plugin is disabled in the event's workspace when it comes due is marked `skipped` (terminal:
 *   re-enabling the plugin does not replay what happened while it was off).
 */
export class OutboxWorker {
  readonly #orm: Orm;
  readonly #pollMs: number;
  readonly #concurrency: number;
  readonly #batchSize: number;
  readonly #groupSize: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #leaseMarginMs: number;
  readonly #isEnabled: PluginEnabledCheck;
  readonly #logger: WorkerLogger;
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #polling: Promise<void> | null = null;

  constructor(options: OutboxWorkerOptions) {
    this.#orm = options.orm;
    this.#pollMs = options.pollMs ?? 200;
    this.#concurrency = Math.max(1, options.concurrency ?? 8);
    this.#batchSize = Math.max(1, options.batchSize ?? 50);
    this.#groupSize = Math.max(1, options.groupSize ?? 16);
    this.#backoffBaseMs = options.backoffBaseMs ?? 1000;
    this.#backoffMaxMs = options.backoffMaxMs ?? 60 * 60 * 1000;
    this.#leaseMarginMs = options.leaseMarginMs ?? 30_000;
    this.#isEnabled = options.isEnabled ?? ((workspaceId, plugin) => eventsOf(this.#orm).isPluginEnabled(workspaceId, plugin));
    this.#logger = options.logger ?? silent;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  start(): this {
    if (this.#running) return this;
    this.#running = true;
    this.#schedule(0);
    return this;
  }

  /** Stops polling and waits (at most `graceMs`) for deliveries in flight. */
  async stop(graceMs = 5000): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#polling?.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.#inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  #schedule(ms: number) {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#polling = this.#tick().finally(() => (this.#polling = null));
    }, ms);
    this.#timer.unref?.();
  }

  async #tick() {
    let more = false;
    try {
      const free = this.#concurrency - this.#inFlight.size;
      if (free > 0) more = (await this.pollOnce(Math.min(this.#batchSize, free * this.#groupSize), free)).more;
    } catch (error) {
      this.#logger.error({ err: error }, 'outbox: poll failed');
    }
    // the claim hit a limit: more may be due — poll again soon (when a slot is free)
    this.#schedule(more ? Math.min(this.#pollMs, 10) : this.#pollMs);
  }

  /**
   * Claims up to `limit` due deliveries of at most `workspaces` workspaces and starts one batch per workspace.
   * `more`: the claim hit a limit (rows, workspaces or a full batch), so more may be due. Tests may call it directly.
   */
  async pollOnce(limit = this.#batchSize, workspaces = this.#concurrency): Promise<{ deliveries: number; batches: number; more: boolean }> {
    const rows = await this.#claim(limit, workspaces);
    const batches = new Map<string, ClaimedRow[]>();
    for (const row of rows) {
      const batch = batches.get(row.workspace_id);
      if (batch) batch.push(row);
      else batches.set(row.workspace_id, [row]);
    }
    let more = rows.length > 0 && (rows.length >= limit || batches.size >= workspaces);
    for (const batch of batches.values()) {
      if (batch.length >= this.#groupSize) more = true;
      batch.sort((a, b) => time(a.next_attempt_at) - time(b.next_attempt_at) || (a.id < b.id ? -1 : 1));
      const delivery = this.#deliverBatch(batch).catch((error) =>
        this.#logger.error({ err: error, deliveries: batch.map((row) => row.id) }, 'outbox: settling a batch failed'),
      );
      this.#inFlight.add(delivery);
      void delivery.finally(() => this.#inFlight.delete(delivery));
    }
    return { deliveries: rows.length, batches: batches.size, more };
  }

  /** Waits until the deliveries started so far have settled (tests). */
  async drain(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  /** Runs `work` in a short transaction of its own with the worker setting on (all workspaces' outbox rows). */
  async #asWorker<T>(work: (em: SqlEntityManager) => Promise<T>): Promise<T> {
    const em = this.#orm.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
    return em.transactional(async (tx) => {
      await tx.execute(`select set_config('${WORKER_SETTING}', 'on', true)`);
      return work(tx as SqlEntityManager);
    });
  }

  async #claim(limit: number, workspaces: number): Promise<ClaimedRow[]> {
    const subscribers = eventsOf(this.#orm).allSubscribers();
    if (!subscribers.length || limit <= 0 || workspaces <= 0) return [];
    const leases = subscribers.map((s) => [s.key, (s.timeoutMs ?? 10_000) + this.#leaseMarginMs] as const);
    return this.#asWorker(async (em) => {
      const rows = await em.execute<ClaimedRow[]>(
        `with candidates as (
           select d.id, d.workspace_id, d.next_attempt_at from outbox_delivery d
            where d.status = 'pending' and d.next_attempt_at <= clock_timestamp()
              and (d.locked_until is null or d.locked_until <= clock_timestamp()) and d.subscriber in (?)
            order by d.next_attempt_at, d.id
            limit ? for update of d skip locked
         ), ranked as (
           select id, workspace_id, row_number() over (partition by workspace_id order by next_attempt_at, id) as rank_in_workspace,
                  min(next_attempt_at) over (partition by workspace_id) as first_due
             from candidates
         ), chosen as (
           select id from ranked
            where rank_in_workspace <= ?
              and workspace_id in (select workspace_id from ranked group by workspace_id order by min(first_due), workspace_id limit ?)
         )
         update outbox_delivery d
            set attempts = d.attempts + 1, updated_at = clock_timestamp(),
                locked_until = clock_timestamp() + cast(l.lease_ms as double precision) * interval '1 millisecond'
           from chosen c, (values ${leases.map(() => '(?, ?)').join(', ')}) as l (subscriber, lease_ms), outbox_event e
          where d.id = c.id and l.subscriber = d.subscriber and e.id = d.event_id
          returning d.id, d.subscriber, d.plugin, d.attempts, d.workspace_id, d.next_attempt_at, e.id as event_id, e.type, e.payload,
                    e.actor_user_id, e.actor_api_key_id, e.causation, e.occurred_at`,
        [subscribers.map((s) => s.key), limit, this.#groupSize, workspaces, ...leases.flatMap(([key, lease]) => [key, String(lease)])],
      );
      for (const row of rows) row.attempts = Number(row.attempts);
      return rows;
    });
  }

  /**
   * One workspace's claimed deliveries. Those of a subscriber this process no longer has are released, those of a
   * plugin disabled there skipped, the rest handled in order (PostgreSQL: one transaction, a savepoint each), then
   * the delivered and skipped ones settled together and each failed one on its own.
   */
  async #deliverBatch(rows: ClaimedRow[]): Promise<void> {
    const runnable: { row: ClaimedRow; subscriber: RegisteredSubscriber; event: DomainEvent }[] = [];
    const skipped: ClaimedRow[] = [];
    for (const row of rows) {
      const subscriber = eventsOf(this.#orm).subscriberByKey(row.subscriber);
      if (!subscriber) {
        await this.#release([row]);
        continue;
      }
      let enabled: boolean;
      try {
        enabled = await this.#isEnabled(row.workspace_id, row.plugin);
      } catch (error) {
        await this.#failed(row, subscriber, error);
        continue;
      }
      if (enabled) runnable.push({ row, subscriber, event: eventOf(row) });
      else skipped.push(row);
    }
    const delivered: ClaimedRow[] = [];
    const failed: { row: ClaimedRow; subscriber: RegisteredSubscriber; error: unknown }[] = [];
    const released: ClaimedRow[] = [];
    if (runnable.length) {
      const workspaceId = rows[0]!.workspace_id;
      try {
        await withWorkspace(this.#orm, workspaceId, async (em) => {
          for (const item of runnable) {
            try {
              await this.#run(em, item.subscriber, item.event);
              delivered.push(item.row);
            } catch (error) {
              failed.push({ ...item, error });
              // a hung handler may still be using the transaction: give it up, and with it this batch's other work
              if (error instanceof DeliveryTimeout && em.isInTransaction()) throw error;
            }
          }
        });
      } catch (error) {
        if (!(error instanceof DeliveryTimeout)) throw error;
        delivered.length = 0;
        released.push(...runnable.filter((item) => !failed.some((f) => f.row === item.row)).map((item) => item.row));
      }
    }
    await this.#settleBatch(delivered, skipped);
    if (released.length) await this.#release(released);
    for (const { row, subscriber, error } of failed) await this.#failed(row, subscriber, error);
  }

  /**
   * The handler, in a savepoint of the workspace's transaction on PostgreSQL (rolled back when the handler fails or
   * times out). An idempotent subscriber's claim is made first in the same savepoint: a redelivery of a handled event
   * finds it and skips the handler. On PGlite (no transaction) a failed handler's claim is removed.
   */
  async #run(em: SqlEntityManager, subscriber: RegisteredSubscriber, event: DomainEvent): Promise<void> {
    const work = async (tx: SqlEntityManager) => {
      if (subscriber.idempotent && !(await claimEvent(tx, event, subscriber.key))) return;
      try {
        await this.#handle(tx, subscriber, event);
      } catch (error) {
        if (subscriber.idempotent && !tx.isInTransaction())
          await tx.execute(`delete from processed_event where event_id = ? and subscriber = ?`, [event.id, subscriber.key]);
        throw error;
      }
    };
    if (em.isInTransaction()) await em.transactional((tx) => work(tx as SqlEntityManager));
    else await work(em);
  }

  async #handle(em: SqlEntityManager, subscriber: RegisteredSubscriber, event: DomainEvent): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const handled = eventsOf(em)
      .pluginSettingsIn(em, event.workspaceId, subscriber.plugin)
      .then((settings) => subscriber.handle(event, { workspaceId: event.workspaceId, em, settings }));
    handled.catch(() => undefined); // a handler that fails after its timeout must not become an unhandled rejection
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeliveryTimeout(`timed out after ${subscriber.timeoutMs} ms`)), subscriber.timeoutMs);
    });
    try {
      await Promise.race([handled, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #failed(row: ClaimedRow, subscriber: RegisteredSubscriber, error: unknown): Promise<void> {
    const message = (error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error)).slice(
      0,
      2000,
    );
    if (row.attempts >= subscriber.maxAttempts) {
      this.#logger.warn(
        { delivery: row.id, subscriber: row.subscriber, event: row.event_id, attempts: row.attempts, error: message },
        'outbox: delivery dead-lettered',
      );
      return this.#settle(row, `status = 'dead', locked_until = null, last_error = ?`, [message]);
    }
    const exp = Math.min(this.#backoffMaxMs, this.#backoffBaseMs * 2 ** (row.attempts - 1));
    const delay = exp / 2 + Math.random() * (exp / 2);
    this.#logger.warn(
      {
        delivery: row.id,
        subscriber: row.subscriber,
        event: row.event_id,
        attempts: row.attempts,
        retryInMs: Math.round(delay),
        error: message,
      },
      'outbox: delivery failed',
    );
    return this.#settle(
      row,
      `locked_until = null, last_error = ?, next_attempt_at = clock_timestamp() + cast(? as double precision) * interval '1 millisecond'`,
      [message, delay],
    );
  }

  /** Gives back claims without counting their attempt (their subscriber is gone, or their batch was given up). */
  #release(rows: ClaimedRow[]): Promise<void> {
    return this.#settleMany(rows, `attempts = attempts - 1, locked_until = null`);
  }

  async #settleBatch(delivered: ClaimedRow[], skipped: ClaimedRow[]): Promise<void> {
    if (!delivered.length && !skipped.length) return;
    await this.#asWorker(async (em) => {
      if (delivered.length)
        await this.#update(em, delivered, `status = 'delivered', delivered_at = clock_timestamp(), locked_until = null, last_error = null`);
      if (skipped.length) await this.#update(em, skipped, `status = 'skipped', locked_until = null`);
    });
  }

  /** Updates the delivery if it is still this worker's claim (same attempt, still pending). */
  #settle(row: ClaimedRow, set: string, params: unknown[] = []): Promise<void> {
    return this.#settleMany([row], set, params);
  }

  #settleMany(rows: ClaimedRow[], set: string, params: unknown[] = []): Promise<void> {
    return this.#asWorker((em) => this.#update(em, rows, set, params));
  }

  /** Updates the deliveries that are still this worker's claims (same attempt, still pending). */
  async #update(em: SqlEntityManager, rows: ClaimedRow[], set: string, params: unknown[] = []): Promise<void> {
    await em.execute(
      `update outbox_delivery d set ${set}, updated_at = clock_timestamp()
         from (values ${rows.map(() => '(cast(? as uuid), cast(? as integer))').join(', ')}) as claim (claim_id, claim_attempts)
        where d.id = claim.claim_id and d.attempts = claim.claim_attempts and d.status = 'pending'`,
      [...params, ...rows.flatMap((row) => [row.id, row.attempts])],
    );
  }
}

const time = (value: string | Date) => (value instanceof Date ? value : new Date(value)).getTime();

function eventOf(row: ClaimedRow): DomainEvent {
  return {
    id: row.event_id,
    type: row.type,
    workspaceId: row.workspace_id,
    occurredAt: row.occurred_at instanceof Date ? row.occurred_at : new Date(row.occurred_at),
    actor: { userId: row.actor_user_id, apiKeyId: row.actor_api_key_id },
    payload: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>,
    causation: ((typeof row.causation === 'string' ? JSON.parse(row.causation) : row.causation) as CausationLink[] | null) ?? [],
  };
}
