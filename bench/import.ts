/** CSV import benchmark: the import engine on a generated contacts file, beside PostgreSQL COPY of the same file. */
import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import type { Orm } from '../src/db/orm.js';
import { Rng } from '../src/seed/generate.js';
import { CITIES, COMPANY_PREFIXES, COMPANY_ROOTS, FIRST_NAMES, JOB_TITLES, LAST_NAMES, SOURCES } from '../src/seed/names.js';
import { loadCopyFrom } from './seed.js';
import { log } from './lib.js';

export const CSV_HEADER = [
  'firstName',
  'lastName',
  'email',
  'phone',
  'jobTitle',
  'company',
  'lifecycleStage',
  'source',
  'address.city',
  'address.country',
];

const csvCell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Writes `rows` realistic contacts (unique emails) to `path`, streaming, unless a file with that many rows exists. */
export async function writeContactsCsv(path: string, rows: number): Promise<void> {
  const marker = `${path}.rows`;
  if (existsSync(path) && existsSync(marker) && readFileSync(marker, 'utf8') === String(rows)) return;
  const rng = new Rng(4242);
  const cities = CITIES(rng.next);
  const out = createWriteStream(path);
  out.write(`${CSV_HEADER.join(',')}\n`);
  const stages = ['Lead', 'Marketing qualified', 'Sales qualified', 'Opportunity', 'Customer'];
  let buffer = '';
  for (let i = 0; i < rows; i++) {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const brand = rng.pick(COMPANY_PREFIXES) + rng.pick(COMPANY_ROOTS);
    const city = rng.pick(cities);
    const local = `${first}.${last}`
      .normalize('NFKD')
      .replace(/\p{Diacritic}/gu, '')
      .toLowerCase()
      .replace(/[^a-z.]/g, '');
    // the row number keeps emails unique across a million rows
    const email = `${local}.${i.toString(36)}@${brand.toLowerCase()}.com`;
    const phone = `${city.phonePrefix} ${rng.int(100, 999)} ${rng.int(1000, 9999)}`;
    buffer += `${[first, last, email, phone, rng.pick(JOB_TITLES), `${brand} ${rng.pick(['Inc', 'Labs', 'Group', 'Systems'])}`, rng.pick(stages), rng.pick(SOURCES), city.city, city.country].map(csvCell).join(',')}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.write(buffer);
  out.end();
  await once(out, 'finish');
  writeFileSync(marker, String(rows));
}

type ImportFn = (
  orm: Orm,
  workspaceId: string,
  objectType: 'contacts',
  readable: Readable,
  mapping: unknown,
  options?: unknown,
) => Promise<unknown>;

/** Finds the engine's `importCsvStream` among the compiled import-export modules (its file name is the other helper's choice). */
export async function findImportFunction(): Promise<{ fn: ImportFn; module: string } | null> {
  const here = dirname(fileURLToPath(import.meta.url));
  const folder = join(here, '..', 'src', 'core', 'import-export');
  if (!existsSync(folder)) return null;
  for (const file of readdirSync(folder)
    .filter((f) => f.endsWith('.js'))
    .sort()) {
    try {
      const mod = (await import(pathToFileURL(join(folder, file)).href)) as Record<string, unknown>;
      if (typeof mod.importCsvStream === 'function') return { fn: mod.importCsvStream as ImportFn, module: file };
    } catch {
      // a module that fails to load is not the one we look for
    }
  }
  return null;
}

export interface MemorySample {
  atProgress: number;
  rssPeak: number;
  heapPeak: number;
  /** Heap still in use right after a forced GC at this point: what the import retains. */
  liveHeap: number;
}

export interface ImportResult {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  rssPeak: number;
  heapPeak: number;
  rssBefore: number;
  /** Peak memory seen by the time the file was 10%, 50% and 100% consumed. */
  checkpoints: MemorySample[];
  result: unknown;
}

/** Counts bytes as the engine consumes the file, so progress is known without any hook in the engine. */
function progressStream(totalBytes: number, onProgress: (fraction: number) => void) {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      onProgress(seen / totalBytes);
      callback(null, chunk);
    },
  });
}

const liveHeap = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
};

export async function runEngineImport(orm: Orm, workspaceId: string, path: string, rows: number, fn: ImportFn): Promise<ImportResult> {
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  let heapPeak = process.memoryUsage().heapUsed;
  let progress = 0;
  const checkpoints: MemorySample[] = [];
  const marks = [0.1, 0.5];
  const sample = () => {
    const m = process.memoryUsage();
    rssPeak = Math.max(rssPeak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
    while (marks.length && progress >= marks[0]!) checkpoints.push({ atProgress: marks.shift()!, rssPeak, heapPeak, liveHeap: liveHeap() });
  };
  const timer = setInterval(sample, 100);
  const size = statSync(path).size;
  const input = createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(progressStream(size, (f) => (progress = f)));
  const mapping = Object.fromEntries(CSV_HEADER.map((h) => [h, h]));
  const started = performance.now();
  let result: unknown;
  try {
    result = await fn(orm, workspaceId, 'contacts', input, mapping, { fileName: 'bench-contacts.csv' });
  } finally {
    clearInterval(timer);
  }
  const seconds = (performance.now() - started) / 1000;
  progress = 1;
  sample();
  checkpoints.push({ atProgress: 1, rssPeak, heapPeak, liveHeap: liveHeap() });
  return { rows, seconds, rowsPerSecond: rows / seconds, rssPeak, heapPeak, rssBefore, checkpoints, result };
}

export interface CopyResult {
  method: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
}

const STAGING = `create unlogged table if not exists import_staging (${CSV_HEADER.map((h) => `"${h}" text`).join(', ')})`;

/** The floor for any import: PostgreSQL COPY of the same file into an untyped staging table. */
export async function runCopyBaseline(url: string, path: string, rows: number): Promise<CopyResult | { error: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(STAGING);
    await client.query('truncate import_staging');
    const copyFrom = await loadCopyFrom();
    const columns = CSV_HEADER.map((h) => `"${h}"`).join(', ');
    const started = performance.now();
    if (copyFrom) {
      const sink = client.query(
        copyFrom(`copy import_staging (${columns}) from stdin with (format csv, header true)`) as never,
      ) as unknown as NodeJS.WritableStream;
      await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), sink);
      const seconds = (performance.now() - started) / 1000;
      return { method: 'pg-copy-streams', rows, seconds, rowsPerSecond: rows / seconds };
    }
    const psql = ['/usr/bin/psql', '/usr/local/bin/psql'].find((p) => existsSync(p));
    if (!psql) return { error: 'neither pg-copy-streams nor psql is available' };
    const run = spawnSync(
      psql,
      [
        url,
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        `\\copy import_staging (${columns}) from '${path.replace(/'/g, "''")}' with (format csv, header true)`,
      ],
      { encoding: 'utf8' },
    );
    if (run.status !== 0) return { error: `psql failed: ${run.stderr.trim()}` };
    const seconds = (performance.now() - started) / 1000;
    return { method: 'psql \\copy', rows, seconds, rowsPerSecond: rows / seconds };
  } catch (error) {
    log(`COPY baseline failed: ${(error as Error).message}`);
    return { error: (error as Error).message };
  } finally {
    await client.query('drop table if exists import_staging').catch(() => undefined);
    await client.end();
  }
}

/**
 * The hand-written SQL way to load the same file into the real table: COPY into a staging table, then one
 * `INSERT … SELECT` into `contact` (with all its indexes) in a fresh workspace. Company linking and tags are
 * left out, so this is an upper bound for what any import of this file into `contact` can reach.
 */
export async function runCopyIntoContactsBaseline(url: string, path: string, rows: number): Promise<CopyResult | { error: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const copyFrom = await loadCopyFrom();
    if (!copyFrom) return { error: 'pg-copy-streams is not available' };
    const workspace = (
      await client.query(
        `insert into workspace (id, name, slug, default_currency, created_at, updated_at) values (gen_random_uuid(), 'COPY baseline', 'copy-baseline-' || floor(random() * 1e9)::text, 'USD', now(), now()) returning id`,
      )
    ).rows[0].id as string;
    await client.query(STAGING);
    await client.query('truncate import_staging');
    const columns = CSV_HEADER.map((h) => `"${h}"`).join(', ');
    const started = performance.now();
    await client.query('begin');
    const sink = client.query(
      copyFrom(`copy import_staging (${columns}) from stdin with (format csv, header true)`) as never,
    ) as unknown as NodeJS.WritableStream;
    await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), sink);
    await client.query(
      `insert into contact (id, workspace_id, created_at, updated_at, version, first_name, last_name, emails, primary_email, phones, job_title,
         lifecycle_stage, source, address, custom_fields, search_text)
       select gen_random_uuid(), $1, now(), now(), 1, s."firstName", s."lastName",
         jsonb_build_array(jsonb_build_object('email', lower(s.email), 'primary', true)), lower(s.email),
         jsonb_build_array(jsonb_build_object('number', s.phone, 'primary', true)), s."jobTitle",
         case lower(s."lifecycleStage") when 'customer' then 'CUSTOMER' when 'opportunity' then 'OPPORTUNITY'
           when 'sales qualified' then 'SALES_QUALIFIED' when 'marketing qualified' then 'MARKETING_QUALIFIED' else 'LEAD' end::lifecycle_stage,
         s.source, jsonb_build_object('city', s."address.city", 'country', s."address.country"), '{}'::jsonb,
         lower(concat_ws(' ', s."firstName", s."lastName", s.email, regexp_replace(s.phone, '\\D', '', 'g')))
       from import_staging s`,
      [workspace],
    );
    await client.query('commit');
    const seconds = (performance.now() - started) / 1000;
    return { method: 'COPY to staging + INSERT … SELECT into contact', rows, seconds, rowsPerSecond: rows / seconds };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    log(`COPY-into-contact baseline failed: ${(error as Error).message}`);
    return { error: (error as Error).message };
  } finally {
    await client.query('drop table if exists import_staging').catch(() => undefined);
    await client.end();
  }
}
