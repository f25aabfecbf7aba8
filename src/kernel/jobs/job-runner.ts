import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../../db/orm.js';
import type { AppConfig } from '../../config.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import type { PluginContext, PluginManifest, ScheduledJob } from '../../sdk/manifest.js';
import { ModuleHost } from '../modules/module-host.js';
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
 * does not stop the others. Cost per tick: one read of the workspace list, one of each workspace's module rows,
 * one claim statement per enabled job — meant for ticks of a second or more.
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

  /** One pass over every workspace; resolves when the jobs it started have finished. */
  async tick(): Promise<{ ran: number; failed: number }> {
    const result = { ran: 0, failed: 0 };
    if (!this.#withJobs.length) return result;
    const { orm } = this.options;
    // `workspace` carries no workspace_id: not under row-level security, the application role lists it
    const workspaces = this.options.listWorkspaces ? await this.options.listWorkspaces() : (await orm.em.fork().getConnection().execute<{ id: string }[]>('select id from workspace order by id')).map((r: { id: string }) => String(r.id));
    for (const workspaceId of workspaces) {
      let due: { plugin: PluginManifest; job: ScheduledJob; settings: Record<string, unknown> }[] = [];
      try {
        due = await withWorkspace(orm, workspaceId, async (em) => {
          const rows = await this.#host.readRows(em, workspaceId);
          const enabled = new Set(this.#host.effectiveEnabled(rows));
          const claimed: typeof due = [];
          for (const plugin of this.#withJobs) {
            if (!enabled.has(plugin.id)) continue;
            for (const job of plugin.jobs!) {
              const won = await em.execute<unknown[]>(CLAIM_SQL, [plugin.id, job.name, workspaceId, Math.max(0, job.everySeconds)]);
              if (won.length) claimed.push({ plugin, job, settings: effectiveSettings(plugin, rows.get(plugin.id)?.settings) });
            }
          }
          return claimed;
        });
      } catch (error) {
        this.options.logger.error({ err: error, workspaceId }, 'job runner could not claim the workspace\'s jobs');
        continue;
      }
      for (const { plugin, job, settings } of due) {
        try {
          await withWorkspace(orm, workspaceId, (em: SqlEntityManager) => job.run({ workspaceId, em, settings } satisfies PluginContext));
          result.ran++;
        } catch (error) {
          result.failed++;
          this.options.logger.error({ err: error, plugin: plugin.id, job: job.name, workspaceId }, 'scheduled job failed');
        }
      }
    }
    return result;
  }
}

/** The server's job runner (JOB_RUNNER=off: another process runs the jobs; JOB_TICK_MS between ticks). */
export function startJobRunner(orm: Orm, logger: JobLogger, plugins: readonly PluginManifest[], config: Pick<AppConfig, 'JOB_RUNNER' | 'JOB_TICK_MS'>): JobRunner | null {
  if (!config.JOB_RUNNER) return null;
  const runner = new JobRunner({ orm, logger, plugins, tickMs: config.JOB_TICK_MS });
  return runner.hasJobs ? runner.start() : null;
}
