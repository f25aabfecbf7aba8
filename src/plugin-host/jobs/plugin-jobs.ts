import type { SqlEntityManager } from '@mikro-orm/sql';
import { auditActorOf } from '../../db/audit-context.js';
import type { Orm } from '../../db/orm.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import type { EnqueueOptions, JobQueue } from '../../queue/job-queue.js';
import { type AppJobs, pluginJobsOf } from './jobs-slot.js';
import type { PluginJob, PluginManifest } from '../manifest.js';
import type { ModuleHost, ModuleRow } from '../modules/module-host.js';
import { effectiveSettings } from '../modules/modules.service.js';

export interface JobLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What a job's queue carries: the workspace and the enqueuer's data. */
interface RunData {
  workspaceId: string;
  data: object;
}

/**
 * The queues of a plugin job: runs enqueued by code, those enqueued with a `singletonKey` (policy `short`: one queued
 * per key — pg-boss's key index would otherwise treat every keyless job as one key), runs of the schedule (`stately`:
 * one queued and one running per workspace) and the schedule's tick.
 */
export function queueNames(pluginId: string, jobName: string) {
  const base = `${pluginId}/${jobName}`;
  return { enqueued: base, keyed: `${base}/keyed`, scheduled: `${base}/scheduled`, cron: `${base}/cron` };
}

interface Entry {
  plugin: PluginManifest;
  job: PluginJob<unknown, object>;
  names: ReturnType<typeof queueNames>;
}

/**
 * Installed plugins' jobs on the kernel's job queue. Each job has its queues (`queueNames`): a cron job's schedule
 * (pg-boss, with its time zone) puts a tick on `…/cron` at each occurrence; whichever process takes the tick enqueues
 * one run per workspace where the plugin is enabled on `…/scheduled` (policy `stately`, keyed by workspace: at most one
 * queued and one running per workspace, so a slow run never piles up). `enqueueJob` puts runs on the job's own queue,
 * optionally delayed. A run executes in its workspace (`withWorkspace`: on PostgreSQL a transaction under row-level
 * security, committed when `run` resolves) with the workspace's settings of the plugin; a run whose plugin is no longer
 * enabled there completes without running. A run that throws is retried by pg-boss (`retryLimit`, `retryDelaySeconds`,
 * doubling) and stays a failed job after the last attempt.
 */
export class PluginJobs implements AppJobs {
  readonly #entries: Entry[] = [];
  readonly #byJob = new Map<object, Entry>();

  constructor(
    readonly queue: JobQueue,
    private readonly orm: Orm,
    private readonly modules: ModuleHost,
    private readonly logger: JobLogger,
  ) {
    for (const plugin of modules.plugins) {
      for (const job of plugin.jobs ?? []) {
        const entry: Entry = { plugin, job: job as PluginJob<unknown, object>, names: queueNames(plugin.id, job.name) };
        this.#entries.push(entry);
        this.#byJob.set(job, entry);
      }
    }
  }

  /** Creates the queues and (re)writes the schedules; with `work`, this process also runs the jobs. */
  async start({ work }: { work: boolean }): Promise<void> {
    const { queue } = this;
    for (const { job, names } of this.#entries) {
      const retry = { retryLimit: job.retryLimit ?? 3, retryDelay: job.retryDelaySeconds ?? 30, retryBackoff: true };
      await queue.ensureQueue(names.enqueued, retry);
      await queue.ensureQueue(names.keyed, { ...retry, policy: 'short' });
      await queue.ensureQueue(names.scheduled, { ...retry, policy: 'stately' });
      await queue.ensureQueue(names.cron, { retryLimit: 2, retryDelay: 10 });
      if (job.cron) await queue.boss.schedule(names.cron, job.cron, {}, { tz: job.timeZone ?? 'UTC' });
      else await queue.boss.unschedule(names.cron);
    }
    if (!work) return;
    for (const entry of this.#entries) {
      await queue.work<Record<string, never>>(entry.names.cron, {}, async () => void (await this.fanOut(entry)));
      await queue.work<RunData>(entry.names.scheduled, {}, (job) => this.run(entry, job.data));
      await queue.work<RunData>(entry.names.enqueued, {}, (job) => this.run(entry, job.data));
      await queue.work<RunData>(entry.names.keyed, {}, (job) => this.run(entry, job.data));
    }
  }

  /** One run of a scheduled job per workspace where its plugin is enabled (a run already queued there is kept). */
  async fanOut(entry: Entry): Promise<number> {
    let queued = 0;
    for (const workspaceId of await this.#enabledWorkspaces(entry.plugin.id)) {
      const id = await this.queue.enqueue(null, entry.names.scheduled, { workspaceId, data: {} } satisfies RunData, {
        singletonKey: workspaceId,
      });
      if (id) queued++;
    }
    return queued;
  }

  async run(entry: Entry, { workspaceId, data }: RunData): Promise<void> {
    const { plugin, job } = entry;
    if (!(await this.modules.enabledIds(workspaceId)).includes(plugin.id)) return;
    const now = this.queue.now();
    try {
      await withWorkspace(this.orm, workspaceId, async (em) => {
        const settings = effectiveSettings(plugin, (await this.modules.readRows(em, workspaceId)).get(plugin.id)?.settings);
        await job.run({ workspaceId, em, settings, now }, data);
      });
    } catch (error) {
      this.logger.error({ err: error, plugin: plugin.id, job: job.name, workspaceId }, 'job failed');
      throw error;
    }
  }

  /** Enqueues a run of `job` in the workspace, inside `em`'s transaction when it is in one. */
  async enqueue(
    em: SqlEntityManager,
    job: object,
    data: object,
    options: EnqueueOptions & { workspaceId?: string } = {},
  ): Promise<string | null> {
    const entry = this.#byJob.get(job);
    if (!entry) throw new Error('enqueueJob: the job is not one of an installed plugin’s manifest `jobs`');
    const workspaceId = options.workspaceId ?? auditActorOf(em)?.workspaceId;
    if (!workspaceId) throw new Error(`enqueueJob("${entry.job.name}") needs a workspace: call it inside runMutation or pass workspaceId`);
    const name = options.singletonKey ? entry.names.keyed : entry.names.enqueued;
    return this.queue.enqueue(em, name, { workspaceId, data } satisfies RunData, options);
  }

  /** Every queue name of the plugin's jobs (uninstall removes the workspace's jobs from them). */
  queuesOf(pluginId: string): string[] {
    return this.#entries.filter((e) => e.plugin.id === pluginId).flatMap((e) => [e.names.enqueued, e.names.keyed, e.names.scheduled]);
  }

  /**
   * The workspaces where the plugin is enabled, from one read-only transaction (`app.job_scheduler`: the policy that
   * lets the scheduler read every workspace's module rows).
   */
  async #enabledWorkspaces(pluginId: string): Promise<string[]> {
    const em = this.orm.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
    const { workspaces, modules } = await em.transactional(async (tx) => {
      await tx.execute(`select set_config('app.job_scheduler', 'on', true)`);
      const workspaces = (await tx.execute<{ id: string }[]>('select id from workspace order by id')).map((r) => String(r.id));
      const modules = await tx.execute<{ workspace_id: string; plugin_id: string; enabled: boolean; settings: unknown }[]>(
        'select workspace_id, plugin_id, enabled, settings from workspace_module',
      );
      return { workspaces, modules };
    });
    const rowsByWorkspace = new Map<string, Map<string, ModuleRow>>();
    for (const row of modules) {
      const rows = rowsByWorkspace.get(row.workspace_id) ?? new Map<string, ModuleRow>();
      rows.set(row.plugin_id, { pluginId: row.plugin_id, enabled: row.enabled, settings: null });
      rowsByWorkspace.set(row.workspace_id, rows);
    }
    return workspaces.filter((id) => this.modules.effectiveEnabled(rowsByWorkspace.get(id) ?? new Map()).includes(pluginId));
  }
}

/**
 * Enqueues a run of one of the plugin's `jobs` in the workspace (default: the current write's), written by the current
 * transaction when there is one; `startAfter` delays it. Returns the job id (null: a job with the same `singletonKey`
 * is already queued).
 */
export async function enqueueJob<Data extends object>(
  context: { em: SqlEntityManager },
  job: PluginJob<never, Data>,
  data: Data,
  options: EnqueueOptions & { workspaceId?: string } = {},
): Promise<string | null> {
  const jobs = pluginJobsOf(context.em);
  if (!jobs) throw new Error(`enqueueJob("${job.name}"): this app runs without a job queue`);
  return jobs.enqueue(context.em, job, data, options);
}
