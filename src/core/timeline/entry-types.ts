/**
 * Timeline entry types declared by plugins (`timelineEntryTypes` in the manifest), by the plugin that records them:
 * a workspace where the plugin is disabled does not see its entries on timelines (they stay stored; re-enabling
 * shows them again).
 */
const owners = new Map<string, string>();

export function registerTimelineEntryTypes(pluginId: string, types: readonly string[]): void {
  for (const type of types) owners.set(type, pluginId);
}

/** Declared entry types by plugin id. */
export function entryTypesByPlugin(): Map<string, string[]> {
  const byPlugin = new Map<string, string[]>();
  for (const [type, plugin] of owners) byPlugin.set(plugin, [...(byPlugin.get(plugin) ?? []), type]);
  return byPlugin;
}
