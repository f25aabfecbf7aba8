import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { provisionAppRole } from './rls/app-role.js';
import { openDatabase } from './orm.js';

/** A backup or restore that cannot run, with what to do about it. */
export class BackupError extends Error {}

/** `backups/<UTC time>.dump` (PostgreSQL, pg_dump's custom format) or `.tar.gz` (a PGlite data folder). */
export function defaultBackupFile(kind: 'postgres' | 'pglite', now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '-');
  return join('backups', `${stamp}${kind === 'postgres' ? '.dump' : '.tar.gz'}`);
}

// ---------------------------------------------------------------- PostgreSQL

/**
 * `pg_dump --format=custom` of the whole database at `url` (every schema: the app's tables, row-level-security
 * policies and their helper schema, the job queue's `pgboss` schema, grants) into `file`, written under a temporary
 * name and renamed once complete. Refuses an existing `file`, a missing pg_dump and one older than the server.
 */
export async function backupPostgres(url: string, file: string): Promise<void> {
  refuseExisting(file);
  const tool = await toolMajor('pg_dump');
  const server = await serverMajor(url);
  if (tool < server)
    throw new BackupError(
      `pg_dump ${tool} is older than the server (PostgreSQL ${server}): it cannot dump it. Put the client tools of version ${server} or later first on PATH.`,
    );
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  try {
    await runTool('pg_dump', url, ['--format=custom', '--file', partial]);
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
}

export interface PostgresRestoreOptions {
  /** Drop every schema of the database (and recreate `public` empty) before restoring, instead of refusing. */
  force?: boolean;
  /**
   * Provision the application role (`crm_app`) before restoring, so the backup's grants to it apply — roles are
   * cluster-wide and not part of a dump. `password`: APP_DATABASE_PASSWORD. Omit when APP_DATABASE_URL names the role.
   */
  appRole?: { password: string | null };
}

/**
 * `pg_restore` of a custom-format `file` into the database at `url`, in one transaction that stops at the first
 * error (a failed restore leaves no half-restored objects). Objects come back owned by `url`'s role (`--no-owner`):
 * the role that migrates and owns the tables. Refuses a database that has any table unless `force`.
 */
export async function restorePostgres(url: string, file: string, options: PostgresRestoreOptions = {}): Promise<void> {
  await expectHeader(file, 'PGDMP', 'a pg_dump custom-format archive (npm run backup on PostgreSQL)');
  await toolMajor('pg_restore');
  // read the archive before anything is dropped: a truncated file must not cost the database its schemas
  const list = await restoreList(url, file);
  try {
    const relations = await userRelations(url);
    if (relations > 0 && !options.force)
      throw new BackupError(
        `the database ${databaseName(url)} is not empty (${relations} tables, views or sequences): restore onto an empty database, or pass --force to drop all of its schemas first`,
      );
    if (relations > 0 || options.force) await dropSchemas(url);
    if (options.appRole) {
      const owner = await openDatabase({ url, entities: [], migrations: [], poolMax: 1 });
      try {
        await provisionAppRole(owner, { password: options.appRole.password });
      } finally {
        await owner.close(true);
      }
    }
    await runTool('pg_restore', url, [
      '--no-owner',
      '--single-transaction',
      '--exit-on-error',
      '--use-list',
      list.file,
      '--dbname',
      withoutPassword(url),
      file,
    ]);
  } finally {
    await list.remove();
  }
}

/**
 * The archive's table of contents without the default privileges of roles other than the restoring one: they would
 * need membership in the dump's owner role (another cluster's `postgres`). Objects come back owned by the restoring
 * role, whose default privileges for the application role the provisioning after the restore sets again.
 */
async function restoreList(url: string, file: string): Promise<{ file: string; remove: () => Promise<void> }> {
  const { code, stdout, stderr } = await run('pg_restore', ['--list', file], process.env);
  if (code !== 0) throw new BackupError(`pg_restore cannot read ${file}: ${stderr.trim()}`);
  const me = (await query<{ me: string }>(url, 'select current_user as me'))[0]?.me;
  const kept = stdout.split('\n').filter((line) => !(/^\d+; \d+ \d+ DEFAULT ACL /.test(line) && line.trim().split(' ').at(-1) !== me));
  const dir = await mkdtemp(join(tmpdir(), 'crm-restore-'));
  const listFile = join(dir, 'toc.list');
  await writeFile(listFile, kept.join('\n'));
  return { file: listFile, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Tables, views and sequences outside PostgreSQL's own schemas. */
async function userRelations(url: string): Promise<number> {
  const rows = await query<{ n: number }>(
    url,
    `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and n.nspname not in ('pg_catalog', 'information_schema')
        and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`,
  );
  return Number(rows[0]?.n ?? 0);
}

async function dropSchemas(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ name: string }>(
      `select nspname as name from pg_namespace
        where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg\\_toast%' and nspname not like 'pg\\_temp%'`,
    );
    for (const { name } of rows) await client.query(`drop schema ${pg.escapeIdentifier(name)} cascade`);
    // as a new database has it (PostgreSQL 15): owned by the database owner, usable by everyone
    await client.query('create schema public authorization pg_database_owner');
    await client.query('grant usage on schema public to public');
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

async function serverMajor(url: string): Promise<number> {
  const rows = await query<{ v: string }>(url, "select current_setting('server_version_num') as v");
  const major = Math.floor(Number(rows[0]?.v) / 10000);
  if (!Number.isFinite(major) || major < 1) throw new BackupError(`the server reported no version number (${rows[0]?.v})`);
  return major;
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return (await client.query(sql)).rows as T[];
  } catch (error) {
    throw new BackupError(`cannot reach the database ${databaseName(url)}: ${(error as Error).message}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The major version of a PostgreSQL client tool on PATH. */
async function toolMajor(tool: 'pg_dump' | 'pg_restore'): Promise<number> {
  const { stdout } = await run(tool, ['--version'], process.env);
  const major = /\(PostgreSQL\)\s+(\d+)/.exec(stdout)?.[1];
  if (!major) throw new BackupError(`${tool} --version printed no PostgreSQL version: ${stdout.trim()}`);
  return Number(major);
}

/** Runs pg_dump/pg_restore on `url`: the password travels in the environment, not on the command line. */
async function runTool(tool: 'pg_dump' | 'pg_restore', url: string, args: string[]): Promise<void> {
  const password = decodeURIComponent(new URL(url).password);
  const env = { ...process.env, ...(password ? { PGPASSWORD: password } : {}) };
  const dbArgs = tool === 'pg_dump' ? ['--dbname', withoutPassword(url)] : [];
  const { code, stderr } = await run(tool, [...dbArgs, ...args], env);
  if (code !== 0) throw new BackupError(`${tool} failed (exit ${code}): ${stderr.trim()}`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new BackupError(
              `${command} was not found: install the PostgreSQL client tools (the server's major version or later) and put them on PATH`,
            )
          : error,
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function withoutPassword(url: string): string {
  const u = new URL(url);
  u.password = '';
  return u.toString();
}

const databaseName = (url: string) => `"${decodeURIComponent(new URL(url).pathname.slice(1))}"`;

// ---------------------------------------------------------------- PGlite

/**
 * The PGlite data folder `dir` as a gzipped tarball (PGlite's `dumpDataDir`) in `file`. PGlite is single-process:
 * refuses while a server has the folder open.
 */
export async function backupPglite(dir: string, file: string): Promise<void> {
  refuseExisting(file);
  if (!existsSync(join(dir, 'PG_VERSION'))) throw new BackupError(`${dir} holds no PGlite database`);
  refuseOpen(dir);
  const db = await PGlite.create({ dataDir: dir });
  try {
    await db.exec('checkpoint');
    const tarball = await db.dumpDataDir('gzip');
    mkdirSync(dirname(file), { recursive: true });
    const partial = `${file}.partial`;
    try {
      await writeFile(partial, Buffer.from(await tarball.arrayBuffer()));
      await rename(partial, file);
    } finally {
      await rm(partial, { force: true });
    }
  } finally {
    await db.close();
  }
}

/**
 * Unpacks a tarball of `backupPglite` into the data folder `dir` (PGlite's `loadDataDir`). Refuses a folder that is
 * not empty unless `force` (which then deletes its content first), and always one a server has open.
 */
export async function restorePglite(dir: string, file: string, options: { force?: boolean } = {}): Promise<void> {
  await expectHeader(file, '\x1f\x8b', 'a gzipped tarball of a PGlite data folder (npm run backup on PGlite)');
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new BackupError(`${dir} is not a directory`);
    refuseOpen(dir);
    const entries = readdirSync(dir);
    if (entries.length && !options.force)
      throw new BackupError(`${dir} is not empty: restore into an empty or new folder, or pass --force to delete its content first`);
    for (const entry of entries) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create({ dataDir: dir, loadDataDir: new Blob([await readFile(file)]) });
  await db.close();
}

/** PGlite keeps `postmaster.pid` in its folder while an instance has it open and removes it on close. */
function refuseOpen(dir: string): void {
  if (existsSync(join(dir, 'postmaster.pid')))
    throw new BackupError(
      `${dir} is in use: a server has this PGlite database open (PGlite allows one process). Stop it first; ` +
        `if none runs, a server stopped without closing it — start and stop it once, or delete ${join(dir, 'postmaster.pid')}`,
    );
}

function refuseExisting(file: string): void {
  if (existsSync(file)) throw new BackupError(`${file} exists already: choose another --out`);
}

async function expectHeader(file: string, magic: string, what: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new BackupError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const head = Buffer.alloc(magic.length);
    await handle.read(head, 0, magic.length, 0);
    if (head.toString('latin1') !== magic) throw new BackupError(`${file} is not ${what}`);
  } finally {
    await handle.close();
  }
}
