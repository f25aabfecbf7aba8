import type { SqlEntityManager } from '@mikro-orm/sql';
import type { PluginContext, PluginManifest } from '../manifest.js';
import { ErrorCode, InputRejected, userError } from '../../graphql/errors.js';
import { sql } from '../../db/sql.js';
import type { ModuleHost, ModuleRow } from './module-host.js';
import type { ModuleView } from './modules.types.js';
import { WorkspaceModule } from './workspace-module.entity.js';
import { removePluginData } from './uninstall-data.js';

/** The plugin's settings with its schema's defaults applied (stored settings that no longer parse: defaults only). */
export function effectiveSettings(plugin: PluginManifest, stored: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (!plugin.settings) return stored ?? {};
  const parsed = plugin.settings.safeParse(stored ?? {});
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const defaults = plugin.settings.safeParse({});
  return defaults.success ? (defaults.data as Record<string, unknown>) : (stored ?? {});
}

function view(plugin: PluginManifest, enabled: boolean, row: ModuleRow | undefined): ModuleView {
  return {
    id: plugin.id,
    name: plugin.name,
    version: plugin.version,
    enabled,
    dependsOn: Object.entries(plugin.dependsOn ?? {}).map(([id, range]) => ({ id, range })),
    settings: effectiveSettings(plugin, row?.settings),
  };
}

/** Every installed plugin with its state in the workspace, in load order. */
export async function listModules(host: ModuleHost, em: SqlEntityManager, workspaceId: string): Promise<ModuleView[]> {
  const rows = await host.readRows(em, workspaceId);
  const enabled = new Set(host.effectiveEnabled(rows));
  return host.plugins.map((p) => view(p, enabled.has(p.id), rows.get(p.id)));
}

const names = (plugins: PluginManifest[]) => plugins.map((p) => `${p.name} (${p.id})`).join(', ');

export interface ToggleResult {
  module: ModuleView;
  /** The workspace's enabled set after the change (load order). */
  enabledIds: string[];
}

/**
 * Enables or disables a plugin in a workspace, inside the caller's transaction: checks the dependency rules, writes
 * the row, runs `onEnable` / `onDisable` (a throw rolls everything back). Serialised per workspace with a
 * transaction-scoped advisory lock so two concurrent toggles cannot break the dependency rules.
 */
export async function setModuleEnabled(
  host: ModuleHost,
  em: SqlEntityManager,
  workspaceId: string,
  id: string,
  enable: boolean,
): Promise<ToggleResult> {
  const plugin = requirePlugin(host, id);
  await lockModules(em, workspaceId);
  const rows = await host.readRows(em, workspaceId);
  const before = host.effectiveEnabled(rows);
  const enabledBefore = new Set(before);
  if (enabledBefore.has(id) === enable) return { module: view(plugin, enable, rows.get(id)), enabledIds: before };

  if (enable) {
    const missing = Object.keys(plugin.dependsOn ?? {}).filter((dep) => !enabledBefore.has(dep));
    if (missing.length) {
      const label = missing.map((dep) => (host.plugin(dep) ? `${host.plugin(dep)!.name} (${dep})` : `${dep} (not installed)`)).join(', ');
      throw InputRejected.one('id', `${plugin.name} (${id}) needs ${label} enabled first`, ErrorCode.CONFLICT);
    }
  } else {
    refuseWhileDependentsEnabled(host, plugin, enabledBefore, 'disabled');
  }

  const row = await upsertRow(em, workspaceId, id, { enabled: enable });
  const context: PluginContext = { workspaceId, em, settings: effectiveSettings(plugin, row.settings) };
  if (enable) await plugin.onEnable?.(context);
  else await plugin.onDisable?.(context);

  rows.set(id, { pluginId: id, enabled: enable, settings: row.settings ?? null });
  const enabledIds = host.effectiveEnabled(rows);
  return { module: view(plugin, enabledIds.includes(id), rows.get(id)), enabledIds };
}

function refuseWhileDependentsEnabled(host: ModuleHost, plugin: PluginManifest, enabled: Set<string>, verb: string): void {
  const dependents = host.plugins.filter((p) => enabled.has(p.id) && Object.hasOwn(p.dependsOn ?? {}, plugin.id));
  if (dependents.length) {
    throw InputRejected.one(
      'id',
      `${plugin.name} (${plugin.id}) cannot be ${verb} while ${names(dependents)} depend${dependents.length === 1 ? 's' : ''} on it: disable ${dependents.length === 1 ? 'it' : 'them'} first`,
      ErrorCode.CONFLICT,
    );
  }
}

/**
 * Uninstalls a plugin from a workspace, inside the caller's transaction: refused while an enabled plugin depends on
 * it; disables it (`onDisable` when it was enabled), runs its optional `onUninstall` in the workspace (data of its own
 * outside the database: it can still read its rows), then the host removes the workspace's data of the plugin
 * (`removePluginData`: timeline entries and links to its records, custom field definitions on its types, its
 * subscribers' deliveries and job runs, its own rows) and forgets its settings there. Other workspaces and the
 * plugin's tables are untouched (the tables belong to the installation: they stay while the plugin is installed on
 * the server). A throw from a callback or a statement rolls everything back.
 */
export async function uninstallModule(host: ModuleHost, em: SqlEntityManager, workspaceId: string, id: string): Promise<ToggleResult> {
  const plugin = requirePlugin(host, id);
  await lockModules(em, workspaceId);
  const rows = await host.readRows(em, workspaceId);
  const enabledBefore = new Set(host.effectiveEnabled(rows));
  refuseWhileDependentsEnabled(host, plugin, enabledBefore, 'uninstalled');
  const context: PluginContext = { workspaceId, em, settings: effectiveSettings(plugin, rows.get(id)?.settings) };
  if (enabledBefore.has(id)) await plugin.onDisable?.(context);
  await plugin.onUninstall?.(context);
  await removePluginData(em, plugin, workspaceId);
  const row = await upsertRow(em, workspaceId, id, { enabled: false, settings: null });
  rows.set(id, { pluginId: id, enabled: false, settings: null });
  const enabledIds = host.effectiveEnabled(rows);
  return { module: view(plugin, false, { pluginId: id, enabled: row.enabled, settings: null }), enabledIds };
}

/** Replaces the workspace's settings of a plugin (enabled or not) after validating them with its zod schema. */
export async function updateModuleSettings(
  host: ModuleHost,
  em: SqlEntityManager,
  workspaceId: string,
  id: string,
  settings: unknown,
): Promise<ModuleView> {
  const plugin = requirePlugin(host, id);
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings))
    throw InputRejected.one('settings', 'settings must be an object');
  if (!plugin.settings) {
    if (Object.keys(settings).length) throw InputRejected.one('settings', `${plugin.name} (${id}) has no settings`);
  }
  let value = settings as Record<string, unknown>;
  if (plugin.settings) {
    const parsed = plugin.settings.safeParse(settings);
    if (!parsed.success) {
      throw new InputRejected(parsed.error.issues.map((issue) => userError(['settings', ...issue.path.map(String)], issue.message)));
    }
    value = parsed.data as Record<string, unknown>;
  }
  await lockModules(em, workspaceId);
  const rows = await host.readRows(em, workspaceId);
  const enabled = new Set(host.effectiveEnabled(rows));
  const row = await upsertRow(em, workspaceId, id, { settings: value, enabled: enabled.has(id) });
  return view(plugin, enabled.has(id), { pluginId: id, enabled: row.enabled, settings: row.settings ?? null });
}

function requirePlugin(host: ModuleHost, id: string): PluginManifest {
  const plugin = host.plugin(id);
  if (!plugin) throw InputRejected.one('id', `No installed module has the id "${id}"`, ErrorCode.NOT_FOUND);
  return plugin;
}

async function lockModules(em: SqlEntityManager, workspaceId: string): Promise<void> {
  const lock = sql`select pg_advisory_xact_lock(hashtext(${`workspace_module:${workspaceId}`}))`;
  await em.execute(lock.text, lock.params);
}

async function upsertRow(
  em: SqlEntityManager,
  workspaceId: string,
  pluginId: string,
  change: { enabled: boolean; settings?: Record<string, unknown> | null },
): Promise<WorkspaceModule> {
  let row = await em.findOne(WorkspaceModule, { workspaceId, pluginId }, { filters: false });
  if (!row) row = em.create(WorkspaceModule, { workspaceId, pluginId, enabled: change.enabled, settings: change.settings ?? null });
  else {
    row.enabled = change.enabled;
    if (change.settings !== undefined) row.settings = change.settings;
  }
  await em.flush();
  return row;
}
