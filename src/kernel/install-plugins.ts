import { permissionRegistry } from '../core/permissions/permission-registry.js';
import { protectedFields } from '../core/permissions/protected-fields.js';
import { searchRegistry } from '../core/search/search-provider.js';
import { registerHook, registerSubscriber } from '../events/registry.js';
import type { LoadedPlugin } from './load-plugins.js';

/**
 * Registers what installed plugins contribute to the kernel's registries: permissions (so roles and rules can name
 * them), protected fields, search providers, before hooks and after subscribers. Installed is not enabled: hooks and
 * subscribers check per workspace whether their plugin is enabled when they run.
 */
export function registerPluginContributions(plugins: LoadedPlugin[]): void {
  for (const { id, manifest } of plugins) {
    permissionRegistry.register(...(manifest.permissions ?? []));
    protectedFields.register(...(manifest.protectedFields ?? []));
    for (const provider of manifest.searchProviders ?? []) searchRegistry.register(provider, id);
    for (const hook of manifest.hooks ?? []) registerHook({ ...hook, plugin: id });
    for (const subscriber of manifest.subscribers ?? []) registerSubscriber({ ...subscriber, plugin: id });
  }
}
