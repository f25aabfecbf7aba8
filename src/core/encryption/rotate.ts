import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../../db/orm.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import { DecryptionError, isEncrypted, type Keyring } from './keyring.js';
import { ENCRYPTED_COLUMNS, type EncryptedColumn, encryptionContext } from './secrets.js';

export interface ColumnRotation {
  table: string;
  column: string;
  /** Values that were under an older key, now under the newest. */
  reencrypted: number;
  /** Plain values stored before encryption at rest, now encrypted. */
  encrypted: number;
  /** Values that could not be decrypted (a key missing from ENCRYPTION_KEY, or altered): left as they were. */
  failed: number;
}

export interface RotationReport {
  keyId: string;
  columns: ColumnRotation[];
  reencrypted: number;
  encrypted: number;
  failed: number;
  /** The first failures' messages (table.column:row id and why; never a value). */
  failures: string[];
}

const FIRST_ID = '00000000-0000-0000-0000-000000000000';
const MAX_FAILURES_LISTED = 20;

/**
 * Re-encrypts every encrypted column under the keyring's newest key (`npm run rotate-keys`): values under older keys and
 * plain values from before encryption at rest. In batches of `batchSize` rows, each in its own transaction (tenant
 * tables in their workspace, under row-level security); a row changed meanwhile is left to its writer (compare-and-set).
 * Idempotent: values already under the newest key are not read again.
 */
export async function rotateEncryption(
  orm: Orm,
  keyring: Keyring,
  options: { batchSize?: number; columns?: readonly EncryptedColumn[] } = {},
): Promise<RotationReport> {
  const batchSize = options.batchSize ?? 500;
  const report: RotationReport = { keyId: keyring.currentId, columns: [], reencrypted: 0, encrypted: 0, failed: 0, failures: [] };
  for (const column of options.columns ?? ENCRYPTED_COLUMNS) {
    const counts: ColumnRotation = { table: column.table, column: column.column, reencrypted: 0, encrypted: 0, failed: 0 };
    const batch = (em: SqlEntityManager, after: string, workspaceId?: string) =>
      rotateBatch(em, keyring, column, after, batchSize, workspaceId, counts, report.failures);
    if (column.tenant) {
      for (const workspaceId of await allWorkspaceIds(orm)) {
        for (let after: string | null = FIRST_ID; after; ) {
          const from: string = after;
          after = await withWorkspace(orm, workspaceId, (em) => batch(em, from, workspaceId));
        }
      }
    } else {
      for (let after: string | null = FIRST_ID; after; ) {
        const from: string = after;
        after = await orm.em.fork().transactional((em) => batch(em as SqlEntityManager, from));
      }
    }
    report.columns.push(counts);
    report.reencrypted += counts.reencrypted;
    report.encrypted += counts.encrypted;
    report.failed += counts.failed;
  }
  return report;
}

/** One batch of values not under the newest key, after row id `after`; returns the last row id seen (null: done). */
async function rotateBatch(
  em: SqlEntityManager,
  keyring: Keyring,
  column: EncryptedColumn,
  after: string,
  batchSize: number,
  workspaceId: string | undefined,
  counts: ColumnRotation,
  failures: string[],
): Promise<string | null> {
  const { table, column: name } = column;
  const current = `enc:v1:${keyring.currentId}:`;
  const rows = await em.execute<{ id: string; value: string }[]>(
    `select id, "${name}" as value from "${table}"
      where "${name}" is not null and not starts_with("${name}", ?) and id > ? ${workspaceId ? 'and workspace_id = ?' : ''}
      order by id limit ?`,
    workspaceId ? [current, after, workspaceId, batchSize] : [current, after, batchSize],
  );
  for (const row of rows) {
    const context = encryptionContext(column, row.id);
    let next: string;
    try {
      next = keyring.encrypt(keyring.decrypt(row.value, context), context);
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      counts.failed++;
      if (failures.length < MAX_FAILURES_LISTED) failures.push(error.message);
      continue;
    }
    const updated = await em.execute<{ id: string }[]>(`update "${table}" set "${name}" = ? where id = ? and "${name}" = ? returning id`, [
      next,
      row.id,
      row.value,
    ]);
    if (updated.length) {
      if (isEncrypted(row.value)) counts.reencrypted++;
      else counts.encrypted++;
    }
  }
  return rows.length < batchSize ? null : rows[rows.length - 1]!.id;
}

async function allWorkspaceIds(orm: Orm): Promise<string[]> {
  const rows = await (orm.em.fork() as SqlEntityManager).execute<{ id: string }[]>('select id from workspace order by id');
  return rows.map((r) => r.id);
}
