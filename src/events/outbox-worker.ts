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
  /** Deliveries in flight at once, across all subscribers (default 8). */
  concurrency?: number;
  /** Deliveries claimed per poll at most (default 50, never more than the free concurrency). */
  batchSize?: number;
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
 * - Claim: in one short transaction (with `app.outbox_worker` on, so the policies admit every workspace's rows),
 *   `select … for update of d skip locked limit n` picks due pending deliveries of subscribers this process knows,
 *   counts the attempt and sets `locked_until` (timeout + margin): two workers never take the same row, and the
 *   claim of a worker that died expires.
 * - Deliver: outside the claim transaction, each delivery on its own, at most `concurrency` at once, in the event's
 *   workspace (`withWorkspace`: on PostgreSQL a transaction with the tenant context, rolled back when the handler
 *   fails or times out), raced against the subscriber's `timeoutMs`. A throwing or hanging handler only fails its
 *   own delivery; the process and other deliveries carry on (a hung handler's promise is abandoned).
 * - Settle: delivered; or pending again after exponential back-off; or `dead` once `maxAttempts` attempts were
 *   made (the dead-letter list, retried by an admin). The update names the claimed attempt number, so a worker whose
 *   claim expired and was taken over cannot overwrite the newer claim's outcome.
 * - A delivery whose plugin is disabled in the event's workspace when it comes due is marked `skipped` (terminal:
 *   re-enabling the plugin does not replay what happened while it was off).
 */
export class OutboxWorker {
  readonly #orm: Orm;
  readonly #pollMs: number;
  readonly #concurrency: number;
  readonly #batchSize: number;
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
    let claimed = 0;
    let free = 0;
    try {
      free = Math.min(this.#batchSize, this.#concurrency - this.#inFlight.size);
      if (free > 0) claimed = await this.pollOnce(free);
    } catch (error) {
      this.#logger.error({ err: error }, 'outbox: poll failed');
    }
    // a full batch: more may be due — poll again soon (when a slot is free)
    this.#schedule(claimed > 0 && claimed === free ? Math.min(this.#pollMs, 10) : this.#pollMs);
  }

  /** Claims up to `limit` due deliveries and starts them; returns how many were claimed. Tests may call it directly. */
  async pollOnce(limit = this.#batchSize): Promise<number> {
    const rows = await this.#claim(limit);
    for (const row of rows) {
      const delivery = this.#deliver(row).catch((error) =>
        this.#logger.error({ err: error, delivery: row.id }, 'outbox: settling a delivery failed'),
      );
      this.#inFlight.add(delivery);
      void delivery.finally(() => this.#inFlight.delete(delivery));
    }
    return rows.length;
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

  async #claim(limit: number): Promise<ClaimedRow[]> {
    const subscribers = eventsOf(this.#orm).allSubscribers();
    if (!subscribers.length || limit <= 0) return [];
    return this.#asWorker(async (em) => {
      const rows = await em.execute<ClaimedRow[]>(
        `select d.id, d.subscriber, d.plugin, d.attempts, d.workspace_id, e.id as event_id, e.type, e.payload, e.actor_user_id, e.actor_api_key_id, e.causation, e.occurred_at
           from outbox_delivery d join outbox_event e on e.id = d.event_id
          where d.status = 'pending' and d.next_attempt_at <= clock_timestamp()
            and (d.locked_until is null or d.locked_until <= clock_timestamp()) and d.subscriber in (?)
          order by d.next_attempt_at, d.id
          limit ? for update of d skip locked`,
        [subscribers.map((s) => s.key), limit],
      );
      for (const row of rows) {
        const lease = (eventsOf(this.#orm).subscriberByKey(row.subscriber)?.timeoutMs ?? 10_000) + this.#leaseMarginMs;
        await em.execute(
          `update outbox_delivery set attempts = attempts + 1, locked_until = clock_timestamp() + cast(? as double precision) * interval '1 millisecond', updated_at = clock_timestamp() where id = ?`,
          [lease, row.id],
        );
        row.attempts = Number(row.attempts) + 1;
      }
      return rows;
    });
  }

  async #deliver(row: ClaimedRow): Promise<void> {
    const subscriber = eventsOf(this.#orm).subscriberByKey(row.subscriber);
    if (!subscriber) return this.#release(row);
    let enabled: boolean;
    try {
      enabled = await this.#isEnabled(row.workspace_id, row.plugin);
    } catch (error) {
      return this.#failed(row, subscriber, error);
    }
    if (!enabled) return this.#settle(row, `status = 'skipped', locked_until = null`);
    const event: DomainEvent = {
      id: row.event_id,
      type: row.type,
      workspaceId: row.workspace_id,
      occurredAt: row.occurred_at instanceof Date ? row.occurred_at : new Date(row.occurred_at),
      actor: { userId: row.actor_user_id, apiKeyId: row.actor_api_key_id },
      payload: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>,
      causation: ((typeof row.causation === 'string' ? JSON.parse(row.causation) : row.causation) as CausationLink[] | null) ?? [],
    };
    try {
      await this.#run(subscriber, event);
    } catch (error) {
      return this.#failed(row, subscriber, error);
    }
    await this.#settle(row, `status = 'delivered', delivered_at = clock_timestamp(), locked_until = null, last_error = null`);
  }

  /**
   * The handler in the event's workspace, raced against its timeout (the workspace transaction rolls back on either
   * failure). An idempotent subscriber's claim is made first in the same transaction: a redelivery of a handled
   * event finds it and skips the handler. On PGlite (no transaction per delivery) a failed handler's claim is removed.
   */
  async #run(subscriber: RegisteredSubscriber, event: DomainEvent): Promise<void> {
    await withWorkspace(this.#orm, event.workspaceId, async (em) => {
      if (subscriber.idempotent && !(await claimEvent(em, event, subscriber.key))) return;
      try {
        await this.#handle(em, subscriber, event);
      } catch (error) {
        if (subscriber.idempotent && !em.isInTransaction())
          await em.execute(`delete from processed_event where event_id = ? and subscriber = ?`, [event.id, subscriber.key]);
        throw error;
      }
    });
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

  /** Gives back a claim this process cannot serve (its subscriber is gone), without counting the attempt. */
  #release(row: ClaimedRow): Promise<void> {
    return this.#settle(row, `attempts = attempts - 1, locked_until = null`);
  }

  /** Updates the delivery if it is still this worker's claim (same attempt, still pending). */
  async #settle(row: ClaimedRow, set: string, params: unknown[] = []): Promise<void> {
    await this.#asWorker((em) =>
      em.execute(`update outbox_delivery set ${set}, updated_at = clock_timestamp() where id = ? and attempts = ? and status = 'pending'`, [
        ...params,
        row.id,
        row.attempts,
      ]),
    );
  }
}
