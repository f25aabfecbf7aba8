import type { MigrationObject } from '@mikro-orm/core';
import { kernelMigrations } from '../../migrations/index.js';
import type { LoadedPlugin } from './load-plugins.js';

/**
 * The plugins' migrations, plugin after plugin in dependency order (pass `loadPlugins`' result), each in the order
 * its manifest lists them. Names are prefixed with the plugin id (`pipeline:Migration20261201000000Deals`), so every
 * plugin's migrations are tracked apart in the one migrations table and never collide with the kernel's.
 */
export function pluginMigrations(plugins: LoadedPlugin[]): MigrationObject[] {
  return plugins.flatMap((plugin) =>
    (plugin.manifest.migrations ?? []).map((migration) => ({ name: `${plugin.id}:${migration.name}`, class: migration.class })),
  );
}

/** Everything the migrator runs: the kernel's migrations first, then the plugins' (see `pluginMigrations`). */
export function allMigrations(plugins: LoadedPlugin[]): MigrationObject[] {
  return [...kernelMigrations, ...pluginMigrations(plugins)];
}

/** Entities of installed plugins (registered whether or not a workspace enabled them), in dependency order. */
export function pluginEntities(plugins: LoadedPlugin[]): Function[] {
  return plugins.flatMap((plugin) => plugin.manifest.entities ?? []);
}
