import type { SqlEntityManager } from '@mikro-orm/sql';
import type { PluginManifest } from '../manifest.js';
import type { Orm } from '../../db/orm.js';
import type { RequestContext } from '../../graphql/context.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import { WorkspaceModule } from './workspace-module.entity.js';

/** A workspace's stored state of one plugin (no row: the plugin's defaults). */
export interface ModuleRow {
  pluginId: string;
  enabled: boolean;
  settings: Record<string, unknown> | null;
}

interface CachedSet {
  ids: string[];
  at: number;
}

/** How long a process trusts its cached enabled set of a workspace: toggles made by other processes show within it. */
export const ENABLED_SET_TTL_MS = 1000;

/**
 * The installed plugins of one app (already validated, in dependency order) and which of them each workspace has
 * enabled. The enabled set is cached per workspace for `ttlMs` (default 1 s): the process that toggles a module
 * replaces its entry at once; other processes read the new state when their entry expires (≤ 1 s), so every process
 * converges within the TTL plus a schema build.
 *
 * Default for a workspace without a row for a plugin: the manifest's `enabledByDefault` (false when absent).
 * A plugin counts as enabled only when its dependencies are too (checked in dependency order), so a schema is never
 * built with a plugin whose dependency is missing — whatever rows say.
 */
export class ModuleHost {
  readonly plugins: readonly PluginManifest[];
  readonly #byId: Map<string, PluginManifest>;
  readonly #cache = new Map<string, CachedSet>();
  readonly #loading = new Map<string, Promise<string[]>>();
  /** Bumped by `remember`: a lookup that started before a toggle does not overwrite the toggled state. */
  readonly #generation = new Map<string, number>();

  constructor(
    plugins: readonly PluginManifest[],
    private readonly orm: Orm,
    readonly ttlMs = ENABLED_SET_TTL_MS,
  ) {
    this.plugins = plugins;
    this.#byId = new Map(plugins.map((p) => [p.id, p]));
  }

  plugin(id: string): PluginManifest | undefined {
    return this.#byId.get(id);
  }

  /** The plugins enabled given a workspace's rows, in load (dependency) order. */
  effectiveEnabled(rows: Map<string, ModuleRow>): string[] {
    const enabled = new Set<string>();
    for (const plugin of this.plugins) {
      const row = rows.get(plugin.id);
      const wanted = row ? row.enabled : plugin.enabledByDefault === true;
      if (wanted && Object.keys(plugin.dependsOn ?? {}).every((dep) => enabled.has(dep))) enabled.add(plugin.id);
    }
    return [...enabled];
  }

  /** The workspace's stored rows (inside a session or transaction scoped to it). */
  async readRows(em: SqlEntityManager, workspaceId: string): Promise<Map<string, ModuleRow>> {
    const rows = await em.find(WorkspaceModule, { workspaceId }, { filters: false });
    return new Map(rows.map((r) => [r.pluginId, { pluginId: r.pluginId, enabled: r.enabled, settings: r.settings ?? null }]));
  }

  /**
   * The workspace's enabled plugin ids (load order) for choosing its schema: from memory when fresh, otherwise one
   * short read in the workspace's tenant context. No plugins installed or no workspace: none, without a read.
   */
  async enabledIds(workspaceId: string | null): Promise<string[]> {
    if (!workspaceId || this.plugins.length === 0) return [];
    const cached = this.#cache.get(workspaceId);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.ids;
    let loading = this.#loading.get(workspaceId);
    if (!loading) {
      const generation = this.#generation.get(workspaceId) ?? 0;
      loading = withWorkspace(this.orm, workspaceId, (em) => this.readRows(em, workspaceId))
        .then((rows) => {
          const ids = this.effectiveEnabled(rows);
          if ((this.#generation.get(workspaceId) ?? 0) === generation) this.#store(workspaceId, ids);
          return ids;
        })
        .finally(() => this.#loading.delete(workspaceId));
      this.#loading.set(workspaceId, loading);
    }
    return loading;
  }

  /** After a toggle in this process: the workspace's new enabled set, effective for its next request. */
  remember(workspaceId: string, ids: string[]): void {
    this.#generation.set(workspaceId, (this.#generation.get(workspaceId) ?? 0) + 1);
    this.#loading.delete(workspaceId);
    this.#store(workspaceId, ids);
  }

  /** Drops the workspace's cached set (its next request reads the database). */
  invalidate(workspaceId: string): void {
    this.#generation.set(workspaceId, (this.#generation.get(workspaceId) ?? 0) + 1);
    this.#loading.delete(workspaceId);
    this.#cache.delete(workspaceId);
  }

  #store(workspaceId: string, ids: string[]): void {
    if (this.#cache.size > 10_000) {
      const now = Date.now();
      for (const [key, entry] of this.#cache) if (now - entry.at >= this.ttlMs) this.#cache.delete(key);
    }
    this.#cache.set(workspaceId, { ids, at: Date.now() });
  }
}

const HOST = Symbol.for('crm.moduleHost');

/** Attaches the app's module host to a request context (copied along by `withEntityManager`'s spread). */
export function attachModuleHost(ctx: RequestContext, host: ModuleHost): RequestContext {
  Object.defineProperty(ctx, HOST, { value: host, enumerable: true });
  return ctx;
}

export function moduleHostOf(ctx: RequestContext): ModuleHost {
  const host = (ctx as unknown as Record<symbol, ModuleHost | undefined>)[HOST];
  if (!host) throw new Error('No module host on the request context (createApp attaches it)');
  return host;
}
