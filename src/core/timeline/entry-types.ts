import { AppSlot, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { ContributionRegistry } from '../../registries/contribution-registry.js';

/**
 * Timeline entry types declared by plugins (`timelineEntryTypes` in the manifest), by the plugin that records them:
 * a workspace where the plugin is disabled does not see its entries on timelines (they stay stored; re-enabling
 * shows them again). Per app: each app registers its own plugins' types.
 */
export const TIMELINE_ENTRY_TYPES_SLOT = new AppSlot<ContributionRegistry<true>>('timeline entry types');

const none = new ContributionRegistry<true>('timeline entry type');

export function timelineEntryTypesOf(em: AppScoped): ContributionRegistry<true> {
  return lookupInApp(em, TIMELINE_ENTRY_TYPES_SLOT) ?? none;
}

/** Declared entry types by plugin id. */
export function entryTypesByPlugin(em: AppScoped): Map<string, string[]> {
  const byPlugin = new Map<string, string[]>();
  for (const [type, , plugin] of timelineEntryTypesOf(em).entries()) byPlugin.set(plugin, [...(byPlugin.get(plugin) ?? []), type]);
  return byPlugin;
}
