import type { AppConfig } from '../config.js';
import type { LoadedPlugin } from '../plugin-host/load-plugins.js';
import { backupPglite, backupPostgres, defaultBackupFile, restorePglite, restorePostgres } from '../db/backup.js';
import { openConfiguredDatabase } from './database.js';

/** `npm run backup`: the configured database (DATABASE_URL, else PGLITE_DIR) into `out`; returns the file written. */
export async function backupConfigured(config: Pick<AppConfig, 'DATABASE_URL' | 'PGLITE_DIR'>, out?: string): Promise<string> {
  const file = out ?? defaultBackupFile(config.DATABASE_URL ? 'postgres' : 'pglite');
  if (config.DATABASE_URL) await backupPostgres(config.DATABASE_URL, file);
  else await backupPglite(config.PGLITE_DIR, file);
  return file;
}

/**
 * `npm run restore`: `file` into the configured database, then opens it the way the server does — pending migrations
 * of this version applied, and on PostgreSQL the application role provisioned and granted (roles are not in a dump) —
 * so a server started on it next serves. Returns the migrations applied after the restore.
 */
export async function restoreConfigured(
  config: AppConfig,
  plugins: LoadedPlugin[],
  file: string,
  options: { force?: boolean } = {},
): Promise<string[]> {
  if (config.DATABASE_URL) {
    await restorePostgres(config.DATABASE_URL, file, {
      force: options.force,
      appRole: config.APP_DATABASE_URL ? undefined : { password: config.APP_DATABASE_PASSWORD ?? null },
    });
  } else {
    await restorePglite(config.PGLITE_DIR, file, options);
  }
  const database = await openConfiguredDatabase(config, plugins);
  await database.close();
  return database.applied;
}
