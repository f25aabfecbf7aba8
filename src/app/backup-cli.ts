import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { BackupError } from '../db/backup.js';
import { backupConfigured } from './backup.js';

// `npm run backup [-- --out FILE]`: a logical backup of the configured database (README, "Backups").
const { values } = parseArgs({ options: { out: { type: 'string' } } });
try {
  const file = await backupConfigured(loadConfig(process.env), values.out);
  console.log(`backup written to ${file}`);
} catch (error) {
  if (!(error instanceof BackupError)) throw error;
  console.error(`backup failed: ${error.message}`);
  process.exitCode = 1;
}
