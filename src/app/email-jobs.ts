import type { Orm } from '../db/orm.js';
import type { JobQueue } from '../queue/job-queue.js';
import { deliverEmailMessage, MAX_EMAIL_ATTEMPTS, setEmailDeliveryScheduler, type QueuedEmail } from '../core/email/index.js';

/** The job queue's queue for transactional email. */
export const EMAIL_QUEUES = {
  /** One SMTP delivery of a recorded message (`{ workspaceId, messageId }`); policy `short`, keyed by message. */
  send: 'kernel/email-send',
} as const;

/** First retry after this many seconds, doubling (pg-boss's back-off): about 10 s, 20 s, 40 s, 80 s, 160 s. */
const RETRY_DELAY_SECONDS = 10;

/**
 * Transactional email on the job queue: `sendEmail` enqueues a delivery job in the transaction that records the
 * message; a temporary SMTP failure fails the job, and pg-boss retries it with back-off (the message stays `queued`
 * until `deliverEmailMessage` marks it `sent`, or `failed` after MAX_EMAIL_ATTEMPTS or a permanent refusal). With
 * `work`, this process runs the deliveries.
 */
export async function startEmailJobs(queue: JobQueue, orm: Orm, { work }: { work: boolean }): Promise<void> {
  await queue.ensureQueue(EMAIL_QUEUES.send, {
    policy: 'short',
    retryLimit: MAX_EMAIL_ATTEMPTS - 1,
    retryDelay: RETRY_DELAY_SECONDS,
    retryBackoff: true,
  });
  setEmailDeliveryScheduler(orm, async (em, message) => {
    await queue.enqueue(em, EMAIL_QUEUES.send, message satisfies QueuedEmail, { singletonKey: message.messageId });
  });
  if (!work) return;
  await queue.work<QueuedEmail>(EMAIL_QUEUES.send, { localConcurrency: 4 }, async (job) => {
    const outcome = await deliverEmailMessage(orm, job.data, queue.now());
    // a failed job is retried by the queue, with back-off
    if (outcome.outcome === 'retry') throw new Error(`email not delivered (attempt ${outcome.attempts}): ${outcome.error}`);
  });
}
