import { loadConfig } from '../config.js';
import { builtinPluginsDir, loadPlugins } from '../plugin-host/load-plugins.js';
import { openConfiguredDatabase } from './database.js';
import { kernelFacts } from './kernel-facts.js';

// `npm run migrate`: applies the kernel's and every installed plugin's pending migrations (and, on PostgreSQL,
// provisions the API's row-level-security role), as a start would, then exits.
const config = loadConfig(process.env);
const plugins = await loadPlugins({ builtinDir: builtinPluginsDir(), extra: config.PLUGINS, kernel: kernelFacts() });
const database = await openConfiguredDatabase(config, plugins);
console.log(database.applied.length ? `applied ${database.applied.join(', ')}` : 'no pending migrations');
await database.close();
