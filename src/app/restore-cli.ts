import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { BackupError } from '../db/backup.js';
import { builtinPluginsDir, loadPlugins } from '../plugin-host/load-plugins.js';
import { restoreConfigured } from './backup.js';
import { kernelFacts } from './kernel-facts.js';

// `npm run restore -- FILE [--force]`: a backup of `npm run backup` into the configured database, which must be
// empty unless --force (PostgreSQL: drops all of its schemas first; PGlite: deletes the data folder's content).
function args() {
  try {
    const parsed = parseArgs({ options: { force: { type: 'boolean', default: false } }, allowPositionals: true });
    if (parsed.positionals.length === 1) return parsed;
  } catch (error) {
    console.error((error as Error).message);
  }
  console.error('usage: npm run restore -- FILE [--force]');
  process.exit(2);
}
const { values, positionals } = args();
const config = loadConfig(process.env);
const plugins = await loadPlugins({ builtinDir: builtinPluginsDir(), extra: config.PLUGINS, kernel: kernelFacts() });
try {
  const applied = await restoreConfigured(config, plugins, positionals[0]!, { force: values.force });
  console.log(`restored ${positionals[0]}${applied.length ? `; applied ${applied.join(', ')}` : ''}`);
} catch (error) {
  if (!(error instanceof BackupError)) throw error;
  console.error(`restore failed: ${error.message}`);
  process.exitCode = 1;
}
