import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { BackupError } from '../db/backup.js';
import { backupConfigured } from './backup.js';

// `npm run backup [-- --out FILE]`: a logical backup of the configured database (README, "Backups").
function args() {
  try {
    return parseArgs({ options: { out: { type: 'string' } } }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\nusage: npm run backup [-- --out FILE]`);
    process.exit(2);
  }
}
const values = args();
try {
  const file = await backupConfigured(loadConfig(process.env), values.out);
  console.log(`backup written to ${file}`);
} catch (error) {
  if (!(error instanceof BackupError)) throw error;
  console.error(`backup failed: ${error.message}`);
  process.exitCode = 1;
}
