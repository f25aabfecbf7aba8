/** Recreates the benchmark database and fills it fast with the shared generator (COPY, or multi-row INSERTs). */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import {
  copyLine,
  generateCustomers,
  insertStatements,
  Rng,
  TABLES,
  type Row,
  type TableName,
  type TableSpec,
} from '../src/seed/generate.js';
import { TAGS } from '../src/seed/names.js';
import { log } from './lib.js';

export const BENCH_SLUG = 'bench';
export const BENCH_USER = 'admin@bench.example';

export async function recreateDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`refusing to recreate database "${name}": use letters, digits and _`);
  target.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: target.toString() });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
}

type CopyFrom = (sql: string) => NodeJS.WritableStream;

/** pg-copy-streams when installed; otherwise null and rows go in as multi-row INSERTs. */
export async function loadCopyFrom(): Promise<CopyFrom | null> {
  try {
    const mod = (await import('pg-copy-streams')) as unknown as { from: CopyFrom };
    return mod.from;
  } catch {
    return null;
  }
}

export interface SeedResult {
  workspaceId: string;
  userId: string;
  counts: Record<string, number>;
  method: 'COPY' | 'INSERT';
  seconds: number;
}

export async function seedBenchData(client: pg.Client, contacts: number, activitiesPerContact = 10): Promise<SeedResult> {
  const started = Date.now();
  const copyFrom = await loadCopyFrom();
  const rng = new Rng(99);
  const iso = new Date().toISOString();
  const workspaceId = rng.uuid();
  await client.query('insert into workspace (id, name, slug, default_currency, created_at, updated_at) values ($1, $2, $3, $4, $5, $5)', [
    workspaceId,
    'Bench Inc',
    BENCH_SLUG,
    'USD',
    iso,
  ]);
  const users = Array.from({ length: 12 }, (_, i) => ({
    id: rng.uuid(),
    email: i === 0 ? BENCH_USER : `rep${i}@bench.example`,
    name: i === 0 ? 'Bench Admin' : `Rep ${i}`,
    role: i === 0 ? 'OWNER' : 'SALES',
  }));
  for (const u of users) {
    await client.query('insert into app_user (id, email, name, created_at, updated_at) values ($1, $2, $3, $4, $4)', [
      u.id,
      u.email,
      u.name,
      iso,
    ]);
    await client.query('insert into membership (id, workspace_id, user_id, role, created_at, updated_at) values ($1, $2, $3, $4, $5, $5)', [
      rng.uuid(),
      workspaceId,
      u.id,
      u.role,
      iso,
    ]);
  }
  const tags = TAGS.map((t) => ({ ...t, id: rng.uuid() }));
  for (const t of tags) {
    await client.query(
      'insert into tag (id, workspace_id, name, normalized_name, color, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6)',
      [t.id, workspaceId, t.name, t.name.toLowerCase(), t.color, iso],
    );
  }

  const tables = Object.keys(TABLES) as TableName[];
  const dropped = await dropSecondaryIndexes(
    client,
    tables.map((t) => TABLES[t].table),
  );
  const counts = Object.fromEntries(tables.map((t) => [t, 0])) as Record<TableName, number>;
  const companies = Math.max(1, Math.round(contacts / 5));
  const totalActivities = contacts * activitiesPerContact;
  let lastLog = Date.now();
  for (const chunk of generateCustomers({
    seed: 1234,
    workspaceId,
    userIds: users.map((u) => u.id),
    companyTagIds: tags.filter((t) => t.on !== 'Contact').map((t) => t.id),
    contactTagIds: tags.filter((t) => t.on !== 'Company').map((t) => t.id),
    companies,
    contacts,
    activities: totalActivities,
    commentRate: 0.02,
    chunkCompanies: 1000,
  })) {
    for (const table of tables) {
      const rows = chunk[table];
      if (!rows.length) continue;
      if (copyFrom) await copyRows(client, copyFrom, TABLES[table], rows);
      else await insertRows(client, TABLES[table], rows);
      counts[table] += rows.length;
    }
    if (Date.now() - lastLog > 5000) {
      log(`seeded ${counts.contact.toLocaleString('en-US')} / ${contacts.toLocaleString('en-US')} contacts`);
      lastLog = Date.now();
    }
  }
  log(`recreating ${dropped.length} indexes`);
  for (const definition of dropped) await client.query(definition);
  await client.query('analyze');
  return { workspaceId, userId: users[0]!.id, counts, method: copyFrom ? 'COPY' : 'INSERT', seconds: (Date.now() - started) / 1000 };
}

/** Loading is much faster without secondary indexes; they are rebuilt once afterwards. Constraint indexes stay. */
async function dropSecondaryIndexes(client: pg.Client, tables: string[]): Promise<string[]> {
  const { rows } = await client.query<{ indexname: string; indexdef: string }>(
    `select i.indexname, i.indexdef from pg_indexes i
     where i.schemaname = 'public' and i.tablename = any($1)
       and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`,
    [tables],
  );
  for (const r of rows) await client.query(`drop index "${r.indexname}"`);
  return rows.map((r) => r.indexdef);
}

async function copyRows(client: pg.Client, copyFrom: CopyFrom, spec: TableSpec, rows: Row[]): Promise<void> {
  const stream = client.query(
    copyFrom(`copy "${spec.table}" (${spec.columns.map((c) => `"${c}"`).join(', ')}) from stdin`) as never,
  ) as unknown as NodeJS.WritableStream;
  async function* lines() {
    let buffer = '';
    for (const row of rows) {
      buffer += copyLine(row);
      if (buffer.length > 1 << 20) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer) yield buffer;
  }
  await pipeline(Readable.from(lines()), stream);
}

async function insertRows(client: pg.Client, spec: TableSpec, rows: Row[]): Promise<void> {
  for (const s of insertStatements(spec, rows, { batch: 5000, placeholders: 'dollar' })) await client.query(s.text, s.params);
}
