import type { SqlEntityManager } from '@mikro-orm/sql';
import { type Clock, fromKysely, fromPglite, type Job, PgBoss, type PGliteLike, type Queue, type SendOptions, systemClock } from 'pg-boss';
import type { Orm } from '../db/orm.js';
import { isPglite } from '../db/orm.js';

/** pg-boss keeps its tables in a schema of its own. */
export const QUEUE_SCHEMA = 'pgboss';

export interface QueueLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface JobQueueOptions {
  /** The database's owner (it creates and migrates the queue's schema): on PGlite the one shared instance. */
  owner: Orm;
  /** PostgreSQL: the owner's connection string; pg-boss keeps a small pool of its own. */
  url?: string;
  /** PostgreSQL: connections in pg-boss's pool (default 4). */
  poolMax?: number;
  /** The role the API's transactions run as (row-level security): granted the queue's tables, so a write enqueues in its own transaction. */
  appRole?: string;
  /** Time and timers (default: the system clock); tests pass pg-boss's TestClock and move time with it. */
  clock?: Clock;
  logger?: QueueLogger;
  /** Test instrumentation: pg-boss's job spies (`boss.getSpy(name)`). */
  spies?: boolean;
  /** The schema of pg-boss's tables (default `pgboss`); tests with a clock of their own on a shared database use their own. */
  schema?: string;
}

export interface EnqueueOptions {
  /** Run at (default: now, on the queue's clock). */
  startAfter?: Date;
  /** At most one queued job per key in the queue (a second send with the same key returns null). */
  singletonKey?: string;
  retryLimit?: number;
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
}

export type JobHandler<Data> = (job: Job<Data>) => Promise<void>;

/**
 * The kernel's job queue: pg-boss over the application's own database (PostgreSQL, or the embedded PGlite instance).
 * Jobs are rows of the database: `enqueue` inside a transaction commits or rolls back with it; delayed jobs, cron
 * schedules with time zones, retries with back-off, singleton keys and the failed jobs are pg-boss's.
 */
export class JobQueue {
  readonly boss: PgBoss;
  readonly clock: Clock;
  readonly #queues = new Set<string>();

  private constructor(
    boss: PgBoss,
    clock: Clock,
    readonly schema: string,
  ) {
    this.boss = boss;
    this.clock = clock;
  }

  static async open(options: JobQueueOptions): Promise<JobQueue> {
    const clock = options.clock ?? systemClock;
    const schema = options.schema ?? QUEUE_SCHEMA;
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`JobQueue.open: "${schema}" is not a plain schema name`);
    const common = { schema, clock, __test__enableSpies: options.spies ?? false, registerInstance: false };
    let boss: PgBoss;
    if (isPglite(options.owner)) {
      const native = (await options.owner.em.getConnection().getNativeClient()) as PGliteLike;
      boss = new PgBoss({ ...common, db: fromPglite(native), backend: 'pglite' });
    } else {
      if (!options.url) throw new Error('JobQueue.open: PostgreSQL needs the owner connection string');
      boss = new PgBoss({ ...common, connectionString: options.url, max: options.poolMax ?? 4, application_name: 'crm-queue' });
    }
    const logger = options.logger;
    boss.on('error', (error) => logger?.error({ err: error }, 'job queue error'));
    boss.on('warning', (warning) => logger?.warn({ warning }, 'job queue warning'));
    await boss.start();
    if (options.appRole && !isPglite(options.owner)) await grantQueueTo(boss, schema, options.appRole);
    return new JobQueue(boss, clock, schema);
  }

  /** The queue's now (the injected clock in tests). */
  now(): Date {
    return new Date(this.clock.now());
  }

  /** Creates the queue once per process (pg-boss keeps queues as rows; an existing one is updated). */
  async ensureQueue(name: string, options: Omit<Queue, 'name'> = {}): Promise<void> {
    if (this.#queues.has(name)) return;
    const existing = await this.boss.getQueue(name);
    if (existing) await this.boss.updateQueue(name, withoutPolicy(options));
    else await this.boss.createQueue(name, options);
    this.#queues.add(name);
  }

  /**
   * Enqueues a job. Inside a transaction (`em` in one) the job is written by that transaction: it exists iff the
   * transaction commits. `startAfter` defaults to the queue clock's now, so tests that move the clock see it.
   */
  async enqueue(em: SqlEntityManager | null, name: string, data: object, options: EnqueueOptions = {}): Promise<string | null> {
    const send: SendOptions = {
      startAfter: options.startAfter ?? this.now(),
      ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
      ...(options.retryLimit !== undefined ? { retryLimit: options.retryLimit } : {}),
      ...(options.retryDelaySeconds !== undefined ? { retryDelay: options.retryDelaySeconds } : {}),
      ...(options.retryBackoff !== undefined ? { retryBackoff: options.retryBackoff } : {}),
    };
    const db = transactionDb(em);
    if (db) send.db = db;
    return this.boss.send(name, data, send);
  }

  /** `enqueue` of several jobs of one queue in one statement (a queued singleton key skips its job). */
  async enqueueMany(
    em: SqlEntityManager | null,
    name: string,
    jobs: { data: object; startAfter?: Date; singletonKey?: string }[],
  ): Promise<void> {
    if (!jobs.length) return;
    const db = transactionDb(em);
    await this.boss.insert(
      name,
      jobs.map((job) => ({
        data: job.data,
        startAfter: job.startAfter ?? this.now(),
        ...(job.singletonKey ? { singletonKey: job.singletonKey } : {}),
      })),
      db ? { db } : {},
    );
  }

  /** Deletes the queued (not yet running) jobs of `name` whose data contains `match`, in `em`'s transaction when it is in one. */
  async deleteQueued(em: SqlEntityManager | null, name: string, match: object): Promise<number> {
    const db = transactionDb(em);
    const jobs = await this.boss.findJobs(name, { data: match, queued: true, ...(db ? { db } : {}) });
    if (!jobs.length) return 0;
    const result = await this.boss.deleteJob(
      name,
      jobs.map((j) => j.id),
      db ? { db } : {},
    );
    return (result as { affected?: number }).affected ?? jobs.length;
  }

  /**
   * Works a queue. With `batchSize` > 1 each fetch takes up to that many jobs and runs them side by side, and a full
   * batch is followed by the next fetch at once (pg-boss's `burstWhenBatchFull`) instead of after the polling interval:
   * a backlog drains at the handlers' speed. A batch whose handler throws is retried as a whole, so handlers must
   * tolerate a job they already did (the webhook and automation handlers claim their row first).
   */
  async work<Data extends object>(
    name: string,
    options: { pollingIntervalSeconds?: number; localConcurrency?: number; batchSize?: number },
    handler: JobHandler<Data>,
  ): Promise<void> {
    await this.workBatches<Data>(name, options, async (jobs) => {
      if (jobs.length === 1) await handler(jobs[0]!);
      else await Promise.all(jobs.map((job) => handler(job)));
    });
  }

  /** `work`, with the handler given each fetch's jobs together (one claim and one record for a batch of webhook attempts). */
  async workBatches<Data extends object>(
    name: string,
    options: { pollingIntervalSeconds?: number; localConcurrency?: number; batchSize?: number },
    handler: (jobs: Job<Data>[]) => Promise<void>,
  ): Promise<void> {
    const batchSize = options.batchSize ?? 1;
    await this.boss.work<Data>(
      name,
      {
        pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2,
        localConcurrency: options.localConcurrency ?? 1,
        ...(batchSize > 1 ? { batchSize, burstWhenBatchFull: true } : {}),
      },
      handler,
    );
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, close: true, timeout: 10_000 });
  }
}

/** pg-boss's handle on `em`'s transaction. On PGlite a statement outside the open transaction would wait for it forever (one connection). */
function transactionDb(em: SqlEntityManager | null) {
  const transaction = em?.isInTransaction() ? em.getTransactionContext() : undefined;
  return transaction ? fromKysely(transaction as Parameters<typeof fromKysely>[0]) : undefined;
}

function withoutPolicy(options: Omit<Queue, 'name'>) {
  const { policy: _policy, partition: _partition, deadLetter: _deadLetter, ...rest } = options;
  return rest;
}

/**
 * The API role writes jobs in its own transactions: usage of the schema, its tables (present and future) and
 * functions. One statement under a transaction-level advisory lock: grants on the same objects from parallel
 * processes conflict.
 */
async function grantQueueTo(boss: PgBoss, schema: string, role: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error(`grantQueueTo: "${role}" is not a plain role name`);
  await boss.getDb().executeSql(`do $grant$ begin
    perform pg_advisory_xact_lock(hashtext('crm_queue_grants'));
    grant usage on schema ${schema} to ${role};
    grant select, insert, update, delete on all tables in schema ${schema} to ${role};
    grant usage, select on all sequences in schema ${schema} to ${role};
    grant execute on all functions in schema ${schema} to ${role};
    alter default privileges in schema ${schema} grant select, insert, update, delete on tables to ${role};
    alter default privileges in schema ${schema} grant usage, select on sequences to ${role};
    alter default privileges in schema ${schema} grant execute on functions to ${role};
  end $grant$`);
}
