import type { Orm } from '../db/orm.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { NotificationMailer } from '../core/notifications/notification-mail.js';
import { setNotificationEmailScheduler } from '../core/notifications/notifications.service.js';
import { notifyDueTasks, notifyStaleContacts, sendDigests, sendNotificationEmail } from '../core/notifications/scheduled.js';

/** The job queue's queues for notifications (src/core/notifications). */
export const NOTIFICATION_QUEUES = {
  /** One email-now send (`{ notificationId, workspaceId }`); queued by `notify` in its transaction, keyed by notification. */
  email: 'kernel/notification-email',
  /** Every 15 minutes: tasks due within the hour, tasks that became overdue. */
  dueTasks: 'kernel/notification-due-tasks',
  /** Daily: contacts not contacted for the workspace's `staleContactDays`. */
  staleContacts: 'kernel/notification-stale-contacts',
  /** Hourly: the daily digest of every user whose local hour is their digest hour. */
  digest: 'kernel/notification-digest',
} as const;

interface EmailJob {
  notificationId: string;
  workspaceId: string;
}

/**
 * Notifications on the job queue: `notify` queues an email job per email-now notification in its own transaction;
 * the schedules find due tasks, stale contacts and digests to send. With `work`, this process runs them.
 */
export async function startNotificationJobs(
  queue: JobQueue,
  orm: Orm,
  { work, mail }: { work: boolean; mail: NotificationMailer },
): Promise<void> {
  await queue.ensureQueue(NOTIFICATION_QUEUES.email, { policy: 'short', retryLimit: 3, retryDelay: 60, retryBackoff: true });
  await queue.ensureQueue(NOTIFICATION_QUEUES.dueTasks, { retryLimit: 1 });
  await queue.ensureQueue(NOTIFICATION_QUEUES.staleContacts, { retryLimit: 1 });
  await queue.ensureQueue(NOTIFICATION_QUEUES.digest, { retryLimit: 2, retryDelay: 120 });
  setNotificationEmailScheduler(orm, async (em, emails) => {
    for (const email of emails)
      await queue.enqueue(em, NOTIFICATION_QUEUES.email, { notificationId: email.id, workspaceId: email.workspaceId } satisfies EmailJob, {
        singletonKey: email.id,
      });
  });
  await queue.boss.schedule(NOTIFICATION_QUEUES.dueTasks, '*/15 * * * *', {});
  await queue.boss.schedule(NOTIFICATION_QUEUES.staleContacts, '30 6 * * *', {});
  await queue.boss.schedule(NOTIFICATION_QUEUES.digest, '0 * * * *', {});
  if (!work) return;
  await queue.work<EmailJob>(NOTIFICATION_QUEUES.email, { localConcurrency: 2 }, async (job) => {
    await sendNotificationEmail(orm, job.data.workspaceId, job.data.notificationId, mail, queue.now());
  });
  await queue.work(NOTIFICATION_QUEUES.dueTasks, {}, async () => {
    await notifyDueTasks(orm, queue.now());
  });
  await queue.work(NOTIFICATION_QUEUES.staleContacts, {}, async () => {
    await notifyStaleContacts(orm, queue.now());
  });
  await queue.work(NOTIFICATION_QUEUES.digest, {}, async () => {
    await sendDigests(orm, queue.now(), mail);
  });
}
