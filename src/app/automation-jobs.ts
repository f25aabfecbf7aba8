import type { AppConfig } from '../config.js';
import type { Orm } from '../db/orm.js';
import type { JobQueue } from '../queue/job-queue.js';
import { configureAutomation, dueRuns, executeRun, startDueDateRuns, startDueScheduleRuns } from '../core/automation/index.js';

/** The job queue's queues for automation rules. */
export const AUTOMATION_QUEUES = {
  /** One segment of a run (`{ runId, workspaceId }`): at its start, and at each wait's end. Policy `short`, keyed by run. */
  run: 'kernel/automation-run',
  /** Every minute: starts the runs of schedule rules whose cron tick came. */
  schedules: 'kernel/automation-schedules',
  /** Every five minutes: starts the runs of rules relative to a date field that fell due. */
  dates: 'kernel/automation-dates',
  /** Every five minutes: queues runs whose job was lost (a process that died between commit and enqueue cannot lose one: both are one transaction). */
  sweep: 'kernel/automation-sweep',
} as const;

interface RunJob {
  runId: string;
  workspaceId: string;
}

/**
 * Automation on the job queue: every run started (by an event through the outbox, a date or a schedule) gets a job in
 * the transaction that starts it; a run that waits gets one at the wait's end. With `work`, this process runs them and
 * the periodic time-trigger checks, with the queue's clock as `now`.
 */
export async function startAutomationJobs(queue: JobQueue, orm: Orm, config: AppConfig, { work }: { work: boolean }): Promise<void> {
  await queue.ensureQueue(AUTOMATION_QUEUES.run, { policy: 'short', retryLimit: 2, retryDelay: 5, retryBackoff: true });
  for (const name of [AUTOMATION_QUEUES.schedules, AUTOMATION_QUEUES.dates, AUTOMATION_QUEUES.sweep])
    await queue.ensureQueue(name, { retryLimit: 0 });
  const runsAt = (em: Parameters<typeof queue.enqueue>[0], runs: { id: string; workspaceId: string; runAt: Date }[]) =>
    queue.enqueueMany(
      em,
      AUTOMATION_QUEUES.run,
      runs.map((run) => ({
        data: { runId: run.id, workspaceId: run.workspaceId } satisfies RunJob,
        startAfter: run.runAt,
        singletonKey: run.id,
      })),
    );
  configureAutomation(orm, {
    loopLimit: config.AUTOMATION_LOOP_LIMIT,
    schedule: runsAt,
  });
  await queue.boss.schedule(AUTOMATION_QUEUES.schedules, '* * * * *', {});
  await queue.boss.schedule(AUTOMATION_QUEUES.dates, '*/5 * * * *', {});
  await queue.boss.schedule(AUTOMATION_QUEUES.sweep, '*/5 * * * *', {});
  if (!work) return;
  await queue.work<RunJob>(AUTOMATION_QUEUES.run, { localConcurrency: 2, batchSize: 8, pollingIntervalSeconds: 0.5 }, async (job) => {
    await executeRun(orm, job.data.workspaceId, job.data.runId, queue.now());
  });
  await queue.work(AUTOMATION_QUEUES.schedules, {}, async () => void (await startDueScheduleRuns(orm, queue.now())));
  await queue.work(AUTOMATION_QUEUES.dates, {}, async () => void (await startDueDateRuns(orm, queue.now())));
  await queue.work(AUTOMATION_QUEUES.sweep, {}, async () => {
    await runsAt(
      null,
      (await dueRuns(orm, queue.now())).map((run) => ({ ...run, runAt: queue.now() })),
    );
  });
}
