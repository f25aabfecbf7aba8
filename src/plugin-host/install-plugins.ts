import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../db/orm.js';
import type { PluginManifest } from './manifest.js';
import { effectiveSettings } from './modules/modules.service.js';

/** A plugin's `onInstall` failed: the server does not start (nothing of that step was written). */
export class PluginInstallError extends Error {}

/**
 * Records each installed plugin in `installed_plugin` (the database owner's connection, after migrations) and runs
 * the `onInstall` of those this database sees for the first time — in the same transaction as the record, so a
 * failing step leaves no record and runs again at the next start; concurrent starts serialize on the row. Returns
 * the ids installed now.
 */
export async function runInstallSteps(orm: Orm, plugins: readonly PluginManifest[]): Promise<string[]> {
  const installed: string[] = [];
  for (const plugin of plugins) {
    try {
      await (orm.em.fork() as SqlEntityManager).transactional(async (em) => {
        const rows = await em.execute<{ inserted: boolean }[]>(
          `insert into installed_plugin (plugin_id, version, installed_at, updated_at) values (?, ?, clock_timestamp(), clock_timestamp())
            on conflict (plugin_id) do update set version = excluded.version, updated_at = excluded.updated_at
              where installed_plugin.version <> excluded.version
            returning (xmax = 0) as inserted`,
          [plugin.id, plugin.version],
        );
        if (!rows[0]?.inserted) return;
        await plugin.onInstall?.({ workspaceId: null, em, settings: effectiveSettings(plugin, null) });
        installed.push(plugin.id);
      });
    } catch (error) {
      throw new PluginInstallError(
        `Plugin ${plugin.name} (${plugin.id}): onInstall failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
  return installed;
}
