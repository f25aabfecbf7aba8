/**
 * Domain events, before hooks and the transactional outbox.
 *
 * - Kernel events come from DomainEventSubscriber (an ORM flush subscriber: contact/company/activity changes made
 *   inside runMutation → `outbox_event` rows in the same transaction). Plugins emit theirs with `emitEvent(em, …)`.
 * - Deliveries (`outbox_delivery`) are created with the event, one per subscriber registered for its type at that
 *   moment (a subscriber registered later does not receive older events); OutboxWorker delivers them.
 * - Before hooks: `registerHook` + `runBeforeHooks(tx, 'contact.create', draft)` at the write points.
 */
import { appendFileSync } from 'node:fs';
import type { Orm } from '../db/orm.js';
import { OutboxWorker, type WorkerLogger } from './outbox-worker.js';
import { registerSubscriber } from './registry.js';

export { DomainEventSubscriber } from './domain-events.subscriber.js';
export { emitEvent, insertEvents, type EventInput } from './emit.js';
export { runBeforeHooks, type HookCaller } from './before-hooks.js';
export { OutboxWorker, WORKER_SETTING, type OutboxWorkerOptions } from './outbox-worker.js';
export * from './registry.js';

const num = (value: string | undefined, fallback: number) => {
  const n = value === undefined || value === '' ? NaN : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
};

/**
 * Test instrumentation (never set in production): OUTBOX_TEST_RECORD_FILE=<path> registers a kernel subscriber
 * `kernel/test-recorder` on every event that appends `{"phase":"delivered","eventId","type","pid"}` lines to that
 * file; with OUTBOX_TEST_RECORD_HANG=1 it appends a `started` line and then hangs (a delivery in flight to kill).
 */
export function registerSubscribersFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.OUTBOX_TEST_RECORD_FILE;
  if (!file) return;
  const hang = env.OUTBOX_TEST_RECORD_HANG === '1';
  const line = (phase: string, event: { id: string; type: string }) => appendFileSync(file, `${JSON.stringify({ phase, eventId: event.id, type: event.type, pid: process.pid })}\n`);
  registerSubscriber({
    plugin: 'kernel',
    name: 'test-recorder',
    on: ['*'],
    timeoutMs: 2000,
    async handle(event) {
      if (hang) {
        line('started', event);
        await new Promise(() => undefined);
      }
      line('delivered', event);
    },
  });
}

/**
 * The server's outbox worker, configured from the environment: OUTBOX_WORKER=off disables it (another process
 * delivers), OUTBOX_POLL_MS (200), OUTBOX_CONCURRENCY (8), OUTBOX_BACKOFF_BASE_MS (1000), OUTBOX_LEASE_MARGIN_MS (30000).
 */
export function startOutboxWorkerFromEnv(orm: Orm, logger: WorkerLogger, env: NodeJS.ProcessEnv = process.env): OutboxWorker | null {
  registerSubscribersFromEnv(env);
  if (env.OUTBOX_WORKER === 'off' || env.OUTBOX_WORKER === 'false' || env.OUTBOX_WORKER === '0') return null;
  return new OutboxWorker({
    orm,
    logger,
    pollMs: num(env.OUTBOX_POLL_MS, 200),
    concurrency: num(env.OUTBOX_CONCURRENCY, 8) || 8,
    backoffBaseMs: num(env.OUTBOX_BACKOFF_BASE_MS, 1000),
    leaseMarginMs: num(env.OUTBOX_LEASE_MARGIN_MS, 30_000),
  }).start();
}
