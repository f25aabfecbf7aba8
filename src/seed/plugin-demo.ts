import type { Orm } from '../db/orm.js';
import { withWorkspace } from '../db/rls/tenant-context.js';
import { attachAppRegistries, buildAppRegistries, detachAppRegistries, registerPluginPermissions } from '../plugin-host/app-registries.js';
import { ModuleHost } from '../plugin-host/modules/module-host.js';
import { effectiveSettings, setModuleEnabled } from '../plugin-host/modules/modules.service.js';
import type { PluginManifest } from '../plugin-host/manifest.js';
import { DEMO_WORKSPACE_SLUG } from './demo.js';

/**
 * Enables every installed plugin in the (new) demo workspace — the demo shows every module, including those other
 * workspaces start without — then runs their `demoData` in dependency order, each in one transaction in the
 * workspace's tenant context. Called right after the kernel's demo data was seeded.
 * Returns the ids of the plugins that seeded.
 */
export async function seedPluginDemoData(orm: Orm, plugins: readonly PluginManifest[]): Promise<string[]> {
  const [workspace] = await orm.em
    .fork()
    .getConnection()
    .execute<{ id: string }[]>('select id from workspace where slug = ?', [DEMO_WORKSPACE_SLUG]);
  if (!workspace) return [];
  // the demo writes through the plugins' own services: their permissions, record types, events and the rest of the
  // app's registries must be known (a first start seeds before the app exists; an app already attached is reused)
  registerPluginPermissions(plugins);
  attachAppRegistries(orm, buildAppRegistries(plugins));
  try {
    return await seedEnabled(orm, plugins, workspace.id);
  } finally {
    detachAppRegistries(orm);
  }
}

async function seedEnabled(orm: Orm, plugins: readonly PluginManifest[], workspaceId: string): Promise<string[]> {
  const workspace = { id: workspaceId };
  const host = new ModuleHost(plugins, orm);
  const rows = await withWorkspace(orm, workspace.id, async (em) => {
    for (const plugin of plugins) await setModuleEnabled(host, em, workspace.id, plugin.id, true);
    return host.readRows(em, workspace.id);
  });
  const seeded: string[] = [];
  for (const id of host.effectiveEnabled(rows)) {
    const plugin = host.plugin(id)!;
    if (!plugin.demoData) continue;
    await withWorkspace(orm, workspace.id, (em) =>
      plugin.demoData!({ workspaceId: workspace.id, em, settings: effectiveSettings(plugin, rows.get(id)?.settings) }),
    );
    seeded.push(id);
  }
  return seeded;
}
