import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../../db/orm.js';
import type { AppConfig } from '../../config.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import type { PluginContext, PluginManifest, ScheduledJob } from '../manifest.js';
import { ModuleHost, type ModuleRow } from '../modules/module-host.js';
import { effectiveSettings } from '../modules/modules.service.js';

export interface JobLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface JobRunnerOptions {
  orm: Orm;
  logger: JobLogger;
  /** Installed plugins (validated, in dependency order); only those with `jobs` matter. */
  plugins: readonly PluginManifest[];
  /** Milliseconds between ticks (default 1000). A tick never overlaps the previous one. */
  tickMs?: number;
  /** The workspaces to visit (default: every workspace). */
  listWorkspaces?: () => Promise<string[]>;
}

/**
 * The claim: starts the run iff the job never ran in the workspace or last started at least `everySeconds` ago
 * (database clock). One atomic statement: concurrent claimers of the same key serialize on the row (the unique key for
 * the first insert), and the loser re-evaluates the WHERE against the winner's committed row, so returns no row.
 */
const CLAIM_SQL = `insert into job_run (plugin_id, job, workspace_id, last_started_at) values (?, ?, ?, clock_timestamp())
  on conflict (plugin_id, job, workspace_id) do update set last_started_at = excluded.last_started_at
  where job_run.last_started_at <= excluded.last_started_at - make_interval(secs => ?)
  returning plugin_id`;

/**
 * Runs installed plugins' scheduled jobs (`manifest.jobs`): every tick, for every workspace where the plugin is
 * enabled (the same rule as the app's enabled check: the workspace's `workspace_module` rows, else
 * `enabledByDefault`, and its dependencies enabled), each job whose interval has passed — at most once per interval
 * per (plugin, job, workspace) across every process on the database (the `job_run` claim, committed before the job
 * starts: a job that fails is not retried before its next interval). The job gets a PluginContext whose `em` is a
 * transaction in the workspace's tenant context (row-level security; committed when the job resolves, rolled back
 * when it throws) and the workspace's settings of the plugin with defaults filled in. A throwing job is logged and
 * does not stop the others. Cost per tick: one read-only transaction reading the workspace list, the module rows and
 * the last starts of every workspace (three statements), then one claim per due run — not a transaction per workspace.
 */
export class JobRunner {
  readonly #host: ModuleHost;
  readonly #withJobs: PluginManifest[];
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  #stopped = true;

  constructor(private readonly options: JobRunnerOptions) {
    this.#host = new ModuleHost(options.plugins, options.orm);
    this.#withJobs = options.plugins.filter((p) => p.jobs?.length);
  }

  /** Whether any installed plugin has jobs (the server starts no timer otherwise). */
  get hasJobs(): boolean {
    return this.#withJobs.length > 0;
  }

  start(): this {
    if (!this.#stopped) return this;
    this.#stopped = false;
    const loop = () => {
      if (this.#stopped) return;
      this.#running = this.tick()
        .catch((error) => this.options.logger.error({ err: error }, 'job runner tick failed'))
        .finally(() => {
          this.#running = null;
          if (!this.#stopped) this.#timer = setTimeout(loop, this.options.tickMs ?? 1000);
        });
    };
    this.#timer = setTimeout(loop, 0);
    return this;
  }

  /** Stops ticking and waits for the running tick (its jobs) to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One pass: the due runs of every workspace, each claimed and run; resolves when the jobs it started have finished. */
  async tick(): Promise<{ ran: number; failed: number }> {
    const result = { ran: 0, failed: 0 };
    if (!this.#withJobs.length) return result;
    const { orm } = this.options;
    for (const { workspaceId, plugin, job, settings } of await this.#dueRuns()) {
      let won: unknown[];
      try {
        won = await withWorkspace(orm, workspaceId, (em) =>
          em.execute<unknown[]>(CLAIM_SQL, [plugin.id, job.name, workspaceId, Math.max(0, job.everySeconds)]),
        );
      } catch (error) {
        this.options.logger.error({ err: error, workspaceId, plugin: plugin.id, job: job.name }, 'job runner could not claim a run');
        continue;
      }
      if (!won.length) continue; // another process took it
      try {
        await withWorkspace(orm, workspaceId, (em: SqlEntityManager) => job.run({ workspaceId, em, settings } satisfies PluginContext));
        result.ran++;
      } catch (error) {
        result.failed++;
        this.options.logger.error({ err: error, plugin: plugin.id, job: job.name, workspaceId }, 'scheduled job failed');
      }
    }
    return result;
  }

  /**
   * The runs due now, from one read-only transaction (`app.job_scheduler`: the schedule policies admit every
   * workspace's rows): every workspace's module rows and last starts, compared in memory. A candidate is only a hint:
   * the claim in the workspace decides.
   */
  async #dueRuns(): Promise<{ workspaceId: string; plugin: PluginManifest; job: ScheduledJob; settings: Record<string, unknown> }[]> {
    const { orm } = this.options;
    const { workspaces, modules, lastRuns } = await (orm.em.fork() as SqlEntityManager).transactional(async (em) => {
      await em.execute(`select set_config('app.job_scheduler', 'on', true)`);
      // `workspace` carries no workspace_id: not under row-level security
      const workspaces = this.options.listWorkspaces
        ? await this.options.listWorkspaces()
        : (await em.execute<{ id: string }[]>('select id from workspace order by id')).map((r) => String(r.id));
      const modules = await em.execute<{ workspace_id: string; plugin_id: string; enabled: boolean; settings: unknown }[]>(
        'select workspace_id, plugin_id, enabled, settings from workspace_module',
      );
      const lastRuns = await em.execute<{ workspace_id: string; plugin_id: string; job: string; age: number | string }[]>(
        'select workspace_id, plugin_id, job, extract(epoch from clock_timestamp() - last_started_at) as age from job_run',
      );
      return { workspaces, modules, lastRuns };
    });
    const rowsByWorkspace = new Map<string, Map<string, ModuleRow>>();
    for (const row of modules) {
      const rows = rowsByWorkspace.get(row.workspace_id) ?? new Map<string, ModuleRow>();
      const settings = (typeof row.settings === 'string' ? JSON.parse(row.settings) : row.settings) as Record<string, unknown> | null;
      rows.set(row.plugin_id, { pluginId: row.plugin_id, enabled: row.enabled, settings });
      rowsByWorkspace.set(row.workspace_id, rows);
    }
    const ages = new Map<string, number>(lastRuns.map((r) => [`${r.workspace_id} ${r.plugin_id} ${r.job}`, Number(r.age)]));
    const due: { workspaceId: string; plugin: PluginManifest; job: ScheduledJob; settings: Record<string, unknown> }[] = [];
    for (const workspaceId of workspaces) {
      const rows = rowsByWorkspace.get(workspaceId) ?? new Map<string, ModuleRow>();
      const enabled = new Set(this.#host.effectiveEnabled(rows));
      for (const plugin of this.#withJobs) {
        if (!enabled.has(plugin.id)) continue;
        for (const job of plugin.jobs!) {
          const age = ages.get(`${workspaceId} ${plugin.id} ${job.name}`);
          if (age === undefined || age >= job.everySeconds)
            due.push({ workspaceId, plugin, job, settings: effectiveSettings(plugin, rows.get(plugin.id)?.settings) });
        }
      }
    }
    return due;
  }
}

/** The server's job runner (JOB_RUNNER=off: another process runs the jobs; JOB_TICK_MS between ticks). */
export function startJobRunner(
  orm: Orm,
  logger: JobLogger,
  plugins: readonly PluginManifest[],
  config: Pick<AppConfig, 'JOB_RUNNER' | 'JOB_TICK_MS'>,
): JobRunner | null {
  if (!config.JOB_RUNNER) return null;
  const runner = new JobRunner({ orm, logger, plugins, tickMs: config.JOB_TICK_MS });
  return runner.hasJobs ? runner.start() : null;
}
