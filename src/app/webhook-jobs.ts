import type { Orm } from '../db/orm.js';
import type { JobQueue } from '../queue/job-queue.js';
import {
  attemptWebhookDeliveries,
  claimDurationMs,
  disableFailingWebhookEndpoints,
  dueDeliveries,
  recoverableDeliveries,
  setWebhookDeliveryScheduler,
  webhookSettingsOf,
} from '../core/webhooks/index.js';

/** The job queue's queues for outbound webhooks. */
export const WEBHOOK_QUEUES = {
  /**
   * One HTTP attempt of a delivery (`{ deliveryId }`); policy `short`, keyed by delivery: one queued per delivery.
   * Expires (pg-boss retries it) a few seconds after the attempt's claim would: a dead worker's job runs again soon.
   */
  attempt: 'kernel/webhook-attempt',
  /** Every five minutes: queues the due deliveries that have no job (a process that died between attempt and retry). */
  sweep: 'kernel/webhook-sweep',
  /** Hourly: disables endpoints failing for WEBHOOK_DISABLE_AFTER_DAYS. */
  disable: 'kernel/webhook-disable',
} as const;

interface AttemptJob {
  deliveryId: string;
}

/**
 * Outbound webhooks on the job queue: each delivery the fan-out (or a replay) creates gets an attempt job in the same
 * transaction, at its due time; an attempt that asks for a retry queues the next at `retryAt` (its schedule and
 * `Retry-After`), so retries wait on the queue, not on a poller. With `work`, this process runs the attempts, the sweep
 * and the auto-disable, and first queues what a stopped process left (`recoverableDeliveries`: the due deliveries,
 * and those in flight at the end of their claim), so a restart does not wait for the sweep or for pg-boss to expire
 * the dead worker's job (`recover: false` skips that: test apps sharing a database with other files' deliveries).
 */
export async function startWebhookJobs(
  queue: JobQueue,
  orm: Orm,
  { work, recover = true }: { work: boolean; recover?: boolean },
): Promise<void> {
  // claim, request and record take at most the claim's duration; pg-boss expires the job a little after that
  const expireInSeconds = Math.ceil(claimDurationMs(webhookSettingsOf(orm).timeoutMs) / 1000) + 5;
  await queue.ensureQueue(WEBHOOK_QUEUES.attempt, { policy: 'short', retryLimit: 2, retryDelay: 5, expireInSeconds });
  await queue.ensureQueue(WEBHOOK_QUEUES.sweep, { retryLimit: 0 });
  await queue.ensureQueue(WEBHOOK_QUEUES.disable, { retryLimit: 1 });
  const attemptsAt = (em: Parameters<typeof queue.enqueue>[0], deliveries: { id: string; runAt: Date }[]) =>
    queue.enqueueMany(
      em,
      WEBHOOK_QUEUES.attempt,
      deliveries.map((delivery) => ({
        data: { deliveryId: delivery.id } satisfies AttemptJob,
        startAfter: delivery.runAt,
        singletonKey: delivery.id,
      })),
    );
  setWebhookDeliveryScheduler(orm, attemptsAt);
  await queue.boss.schedule(WEBHOOK_QUEUES.sweep, '*/5 * * * *', {});
  await queue.boss.schedule(WEBHOOK_QUEUES.disable, '17 * * * *', {});
  if (!work) return;
  // a fetch's attempts together: one claim and one record transaction per workspace, the requests side by side
  await queue.workBatches<AttemptJob>(
    WEBHOOK_QUEUES.attempt,
    { localConcurrency: 2, batchSize: 16, pollingIntervalSeconds: 0.5 },
    async (jobs) => {
      const outcomes = await attemptWebhookDeliveries(
        orm,
        jobs.map((job) => job.data.deliveryId),
        queue.now(),
      );
      const retries = [...outcomes].flatMap(([id, outcome]) =>
        outcome.outcome === 'retry' && outcome.retryAt ? [{ id, runAt: outcome.retryAt }] : [],
      );
      await attemptsAt(null, retries);
    },
  );
  await queue.work(WEBHOOK_QUEUES.sweep, {}, async () => {
    await attemptsAt(
      null,
      (await dueDeliveries(orm, queue.now(), 500)).map((delivery) => ({ id: delivery.id, runAt: queue.now() })),
    );
  });
  await queue.work(WEBHOOK_QUEUES.disable, {}, async () => {
    await disableFailingWebhookEndpoints(orm, queue.now());
  });
  if (!recover) return;
  await attemptsAt(null, await recoverableDeliveries(orm, queue.now()));
}
