import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { isPglite, type Orm } from '../../db/orm.js';
import { Sql, sql, raw, type SqlRow } from '../../db/sql.js';
import { SET_TENANT_SQL, tenantParams } from '../../db/rls/tenant-context.js';

/**
 * The statements of one import batch, all inside one transaction. Only how rows are appended differs:
 * PostgreSQL streams them with COPY on a dedicated connection, PGlite (one connection, no COPY FROM STDIN)
 * runs multi-row INSERTs through the entity manager. Everything else is the same SQL on both.
 */
export interface BatchDb {
  /** Runs SQL with `?` placeholders. */
  query<T = SqlRow>(text: string, params?: unknown[]): Promise<T[]>;
  /** Appends rows (values in `columns` order) to a table; `casts` type the values for the INSERT form. */
  fill(table: string, columns: string[], casts: string[], rows: unknown[][]): Promise<void>;
}

export interface ImportDb {
  /** Runs `work` in one transaction. */
  batch<T>(work: (db: BatchDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A connection for one workspace's import: each batch's transaction runs in that workspace's tenant context. */
export async function openImportDb(orm: Orm, workspaceId: string): Promise<ImportDb> {
  if (isPglite(orm)) return pgliteImportDb(orm);
  const client = new pg.Client({ connectionString: orm.config.get('clientUrl') });
  await client.connect();
  return postgresImportDb(client, workspaceId);
}

function postgresImportDb(client: pg.Client, workspaceId: string): ImportDb {
  const db: BatchDb = {
    async query<T>(text: string, params: unknown[] = []) {
      let n = 0;
      const result = await client.query(
        text.replace(/\?/g, () => `$${++n}`),
        params,
      );
      return result.rows as T[];
    },
    async fill(table, columns, _casts, rows) {
      if (!rows.length) return;
      // COPY FROM refuses tables under row-level security: copy into a temporary table of the same columns (no
      // policies there), then one INSERT … SELECT, which the policies check like any insert
      const stage = `crm_fill_${table}`;
      const list = columns.join(', ');
      await client.query(`drop table if exists pg_temp.${stage}`);
      await client.query(`create temporary table ${stage} on commit drop as select ${list} from ${table} with no data`);
      const sink = client.query(copyFrom(`copy ${stage} (${list}) from stdin`));
      await pipeline(Readable.from(copyChunks(rows)), sink);
      await client.query(`insert into ${table} (${list}) select ${list} from ${stage}`);
      await client.query(`drop table ${stage}`);
    },
  };
  return {
    async batch(work) {
      await client.query('begin');
      try {
        // row-level security: the application role sees and writes only this workspace's rows
        await db.query(SET_TENANT_SQL, tenantParams({ workspaceId }));
        const result = await work(db);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      }
    },
    close: () => client.end(),
  };
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** A value in COPY's text format. */
function copyValue(value: unknown): string {
  if (value == null) return '\\N';
  const s = typeof value === 'string' ? value : String(value);
  return NEEDS_ESCAPE.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : s;
}

/** COPY text lines, about 256 KB per chunk. */
function* copyChunks(rows: unknown[][]): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < row.length; i++) line += (i ? '\t' : '') + copyValue(row[i]);
    chunk += `${line}\n`;
    if (chunk.length > 256 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Statement size for PGlite's INSERT form (MikroORM inlines the parameters). */
const MAX_INSERT_VALUES = 20_000;

function pgliteImportDb(orm: Orm): ImportDb {
  return {
    async batch(work) {
      const em = orm.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
      return em.transactional(async (tx) => {
        const t = tx as SqlEntityManager;
        return work({
          query: <T>(text: string, params: unknown[] = []) => t.execute<T[]>(text, params),
          async fill(table, columns, casts, rows) {
            const perStatement = Math.max(1, Math.floor(MAX_INSERT_VALUES / columns.length));
            for (let i = 0; i < rows.length; i += perStatement) {
              const values = Sql.join(
                rows.slice(i, i + perStatement).map(
                  (r) =>
                    sql`(${Sql.join(
                      r.map((v, c) => sql`${v}${raw(casts[c] ?? '')}`),
                      ', ',
                    )})`,
                ),
                ', ',
              );
              const q = sql`insert into ${raw(table)} (${raw(columns.join(', '))}) values ${values}`;
              await t.execute(q.text, q.params);
            }
          },
        });
      });
    },
    close: async () => undefined,
  };
}
