/**
 * Domain events, before hooks and the transactional outbox.
 *
 * - Kernel events come from DomainEventSubscriber (an ORM flush subscriber: contact/company/activity changes made
 *   inside runMutation → `outbox_event` rows in the same transaction). Plugins emit theirs with `emitEvent(em, …)`.
 * - Deliveries (`outbox_delivery`) are created with the event, one per subscriber registered for its type at that
 *   moment (a subscriber registered later does not receive older events); OutboxWorker delivers them.
 * - Before hooks: manifests' `hooks`, registered per app, run by `runBeforeHooks(tx, 'contact.create', draft)` at the
 *   write points.
 */
import { appendFileSync } from 'node:fs';
import type { Orm } from '../db/orm.js';
import type { AppConfig } from '../config.js';
import { OutboxWorker, type WorkerLogger } from './outbox-worker.js';
import { registerSubscriber } from './registry.js';

export { DomainEventSubscriber } from './domain-events.subscriber.js';
export { emitEvent, insertEvents, type EventInput } from './emit.js';
export { attachCausation, causationOf, type CausationLink } from './causation.js';
export { runBeforeHooks, type HookCaller } from './before-hooks.js';
export { OutboxWorker, WORKER_SETTING, type OutboxWorkerOptions } from './outbox-worker.js';
export * from './registry.js';

/**
 * Test instrumentation (never set in production): OUTBOX_TEST_RECORD_FILE=<path> registers a kernel subscriber
 * `kernel/test-recorder` on every event that appends `{"phase":"delivered","eventId","type","pid"}` lines to that
 * file; with OUTBOX_TEST_RECORD_HANG=1 it appends a `started` line and then hangs (a delivery in flight to kill).
 */
export function registerSubscribersFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.OUTBOX_TEST_RECORD_FILE;
  if (!file) return;
  const hang = env.OUTBOX_TEST_RECORD_HANG === '1';
  const line = (phase: string, event: { id: string; type: string }) =>
    appendFileSync(file, `${JSON.stringify({ phase, eventId: event.id, type: event.type, pid: process.pid })}\n`);
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
 * The server's outbox worker (OUTBOX_WORKER=off: another process delivers), configured by OUTBOX_POLL_MS,
 * OUTBOX_CONCURRENCY, OUTBOX_BACKOFF_BASE_MS and OUTBOX_LEASE_MARGIN_MS (src/config.ts).
 */
export function startOutboxWorker(
  orm: Orm,
  logger: WorkerLogger,
  config: Pick<AppConfig, 'OUTBOX_WORKER' | 'OUTBOX_POLL_MS' | 'OUTBOX_CONCURRENCY' | 'OUTBOX_BACKOFF_BASE_MS' | 'OUTBOX_LEASE_MARGIN_MS'>,
  env: NodeJS.ProcessEnv = process.env,
): OutboxWorker | null {
  registerSubscribersFromEnv(env);
  if (!config.OUTBOX_WORKER) return null;
  return new OutboxWorker({
    orm,
    logger,
    pollMs: config.OUTBOX_POLL_MS,
    concurrency: config.OUTBOX_CONCURRENCY,
    backoffBaseMs: config.OUTBOX_BACKOFF_BASE_MS,
    leaseMarginMs: config.OUTBOX_LEASE_MARGIN_MS,
  }).start();
}
