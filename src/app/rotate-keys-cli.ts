import { ConfigError, loadConfig } from '../config.js';
import { keyringFrom, rotateEncryption } from '../core/encryption/index.js';
import { builtinPluginsDir, loadPlugins } from '../plugin-host/load-plugins.js';
import { openConfiguredDatabase } from './database.js';
import { kernelFacts } from './kernel-facts.js';

// `npm run rotate-keys`: re-encrypts every encrypted column under ENCRYPTION_KEY's newest key — values under older keys
// and plain values stored before encryption at rest — then exits (1 when some value could not be decrypted).
// Migrates first, as a start would. Safe to run again, and while servers run.
let config: ReturnType<typeof loadConfig>;
let keyring: ReturnType<typeof keyringFrom>;
try {
  config = loadConfig(process.env);
  keyring = keyringFrom(config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}
if (keyring.development) console.warn('ENCRYPTION_KEY is not set: re-encrypting under the public development key');
const plugins = await loadPlugins({ builtinDir: builtinPluginsDir(), extra: config.PLUGINS, kernel: kernelFacts() });
const database = await openConfiguredDatabase(config, plugins);
try {
  const report = await rotateEncryption(database.orm, keyring);
  console.log(`rotate-keys: newest key "${report.keyId}" (ENCRYPTION_KEY lists ${keyring.keyIds.join(', ')})`);
  for (const c of report.columns)
    console.log(`  ${c.table}.${c.column}: ${c.reencrypted} re-encrypted, ${c.encrypted} plain values encrypted, ${c.failed} failed`);
  for (const failure of report.failures) console.error(`  failed: ${failure}`);
  console.log(
    `done: ${report.reencrypted + report.encrypted} values rewritten under "${report.keyId}"${report.failed ? `, ${report.failed} could not be decrypted (list their key in ENCRYPTION_KEY and run again)` : ''}`,
  );
  process.exitCode = report.failed ? 1 : 0;
} finally {
  await database.close();
}
