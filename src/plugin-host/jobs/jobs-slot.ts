import type { SqlEntityManager } from '@mikro-orm/sql';
import type { EnqueueOptions, JobQueue } from '../../queue/job-queue.js';
import { AppSlot, type AppScoped, attachToApp, detachFromApp, lookupInApp } from '../../registries/app-slot.js';

/** What an app's plugin jobs offer the rest of the host (PluginJobs implements it). */
export interface AppJobs {
  readonly queue: JobQueue;
  enqueue(em: SqlEntityManager, job: object, data: object, options?: EnqueueOptions & { workspaceId?: string }): Promise<string | null>;
  /** Every queue name of the plugin's jobs (uninstall removes the workspace's jobs from them). */
  queuesOf(pluginId: string): string[];
}

export const PLUGIN_JOBS_SLOT = new AppSlot<AppJobs>('plugin jobs');

/** The plugin jobs of the app that owns `holder` (undefined: the app runs without a job queue). */
export const pluginJobsOf = (holder: AppScoped): AppJobs | undefined => lookupInApp(holder, PLUGIN_JOBS_SLOT);

/** Attaches the app's jobs to its ORM; an app sharing the ORM with an earlier one uses the earlier one's. */
export function attachPluginJobs<T extends AppJobs>(orm: AppScoped, jobs: T): AppJobs {
  const existing = pluginJobsOf(orm);
  if (existing) return existing;
  attachToApp(orm, PLUGIN_JOBS_SLOT, jobs);
  return jobs;
}

export const detachPluginJobs = (orm: AppScoped) => detachFromApp(orm, PLUGIN_JOBS_SLOT);
