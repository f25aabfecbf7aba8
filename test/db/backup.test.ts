import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openAppOrm } from '../../src/app/database.js';
import { backupConfigured, restoreConfigured } from '../../src/app/backup.js';
import { BackupError, backupPglite, backupPostgres, defaultBackupFile, restorePglite } from '../../src/db/backup.js';
import { recreateDatabase } from '../../src/sdk/testing.js';
import { databaseUrl, startTestServer, type SqlOrm, type TestWorkspace } from '../support/harness.js';

/**
 * Backup → restore round trips through `backupConfigured`/`restoreConfigured` (what `npm run backup` and
 * `npm run restore` run): a workspace seeded through the API, backed up, restored onto an empty database; every
 * table's row count and the seeded records are equal, and an app opened on the restored database answers GraphQL
 * with the session minted before the backup (PostgreSQL: as the row-level-security role, provisioned by the restore).
 */
type Target = { url?: string; pgliteDir?: string };

const CONTACTS = `{ contacts(first: 10, orderBy: [{ field: NAME }]) { totalCount nodes { name primaryEmail company { name } } } }`;

async function seed(ws: TestWorkspace): Promise<void> {
  const company = await ws.ok(`mutation { createCompany(input: { name: "Acme Ltd" }) { company { id } } }`);
  const people: [string, string, string][] = [
    ['Ada', 'Lovelace', 'ada'],
    ['Grace', 'Hopper', 'grace'],
    ['Émile', "O'Brien ✓", 'emile'],
  ];
  for (const [first, last, mailbox] of people)
    await ws.ok(`mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } userErrors { message } } }`, {
      input: {
        firstName: first,
        lastName: last,
        emails: [{ email: `${mailbox}@acme.test`, primary: true }],
        companyId: company.createCompany.company.id,
      },
    });
}

interface Snapshot {
  counts: Record<string, number>;
  records: unknown[];
}

/** Row counts of every table of every schema (the app's, pgboss, …) and the workspace's companies and contacts. */
async function snapshot(target: Target, workspaceId: string): Promise<Snapshot> {
  const orm = (await openAppOrm({ ...target, poolMax: 1 })) as SqlOrm;
  try {
    const conn = orm.em.getConnection();
    const tables = await conn.execute<{ schema: string; name: string }[]>(
      `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
        order by 1, 2`,
    );
    const counts: Record<string, number> = {};
    for (const t of tables) {
      const rows = await conn.execute<{ n: number }[]>(`select count(*)::int as n from "${t.schema}"."${t.name}"`);
      counts[`${t.schema}.${t.name}`] = Number(rows[0]!.n);
    }
    const records = [
      ...(await conn.execute(`select * from company where workspace_id = ? order by id`, [workspaceId])),
      ...(await conn.execute(`select * from contact where workspace_id = ? order by id`, [workspaceId])),
    ];
    return { counts, records: JSON.parse(JSON.stringify(records)) };
  } finally {
    await orm.close(true);
  }
}

/** Seeds a workspace on `source` (an app with its job queue, so pgboss's schema exists), closed afterwards. */
async function seeded(source: Target): Promise<{ ws: TestWorkspace; before: Snapshot }> {
  const server = await startTestServer({ database: source, queue: { work: false } });
  const ws = await server.newWorkspace();
  try {
    await seed(ws);
  } finally {
    await server.close();
  }
  const before = await snapshot(source, ws.id);
  expect(before.counts['public.contact']).toBeGreaterThanOrEqual(3);
  expect(before.records).toHaveLength(4);
  return { ws, before };
}

async function expectServes(target: Target, ws: TestWorkspace): Promise<void> {
  const server = await startTestServer({ database: target });
  try {
    const res = await server.gql(CONTACTS, undefined, ws.headers);
    expect(res.errors).toBeUndefined();
    expect(res.data.contacts).toEqual({
      totalCount: 3,
      nodes: [
        { name: 'Grace Hopper', primaryEmail: 'grace@acme.test', company: { name: 'Acme Ltd' } },
        { name: 'Ada Lovelace', primaryEmail: 'ada@acme.test', company: { name: 'Acme Ltd' } },
        { name: "Émile O'Brien ✓", primaryEmail: 'emile@acme.test', company: { name: 'Acme Ltd' } },
      ],
    });
    if (target.url) {
      const role = await server.appOrm.em.getConnection().execute<{ role: string }[]>('select current_user as role');
      expect(role[0]!.role).toBe('crm_app');
    }
  } finally {
    await server.close();
  }
}

let temp: string;
beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), 'crm-backup-'));
});
afterAll(() => rmSync(temp, { recursive: true, force: true }));

test('default backup file names: a UTC time stamp, .dump on PostgreSQL and .tar.gz on PGlite', () => {
  const at = new Date('2026-12-07T13:04:05.678Z');
  expect(defaultBackupFile('postgres', at)).toBe(join('backups', '2026-12-07T13-04-05Z.dump'));
  expect(defaultBackupFile('pglite', at)).toBe(join('backups', '2026-12-07T13-04-05Z.tar.gz'));
});

/** Runs `work` with only `dir` on PATH (a stand-in pg_dump there, or none). */
async function withPath<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = dir;
  try {
    return await work();
  } finally {
    process.env.PATH = saved;
  }
}

test('PostgreSQL without pg_dump on PATH: a clear refusal, no file', async () => {
  const file = join(temp, 'no-tools.dump');
  await expect(withPath(join(temp, 'nowhere'), () => backupPostgres('postgres://nobody@127.0.0.1:1/none', file))).rejects.toThrow(
    /pg_dump was not found: install the PostgreSQL client tools/,
  );
  expect(existsSync(file)).toBe(false);
});

describe('PGlite', () => {
  it('round trip: counts and records equal, the restored database serves; refuses open, non-empty and foreign input', async () => {
    const source = join(temp, 'source');
    const target = join(temp, 'target');
    const file = join(temp, 'out', 'pglite.tar.gz');
    const { ws, before } = await seeded({ pgliteDir: source });

    // a server holding the folder open (PGlite is single-process) blocks the backup
    const open = await openAppOrm({ pgliteDir: source });
    await open.em.getConnection().execute('select 1');
    await expect(backupPglite(source, join(temp, 'while-open.tar.gz'))).rejects.toThrow(
      /is in use: a server has this PGlite database open/,
    );
    await open.close(true);
    expect(existsSync(join(temp, 'while-open.tar.gz'))).toBe(false);

    expect(await backupConfigured({ PGLITE_DIR: source }, file)).toBe(file);
    await expect(backupConfigured({ PGLITE_DIR: source }, file)).rejects.toThrow(/exists already/);

    const config = loadConfig({ NODE_ENV: 'test', PGLITE_DIR: target });
    expect(await restoreConfigured(config, [], file)).toEqual([]);
    expect(await snapshot({ pgliteDir: target }, ws.id)).toEqual(before);
    await expectServes({ pgliteDir: target }, ws);

    // not over a database, unless --force; nothing but a PGlite tarball
    await expect(restorePglite(target, file)).rejects.toThrow(/is not empty: .*--force/);
    const junk = join(temp, 'junk.tar.gz');
    writeFileSync(junk, 'PGDMP not a tarball');
    const fresh = join(temp, 'fresh');
    await expect(restorePglite(fresh, junk)).rejects.toThrow(BackupError);
    expect(existsSync(fresh)).toBe(false);
    await expect(restorePglite(fresh, join(temp, 'missing.tar.gz'))).rejects.toThrow(/cannot read/);

    writeFileSync(join(target, 'stray-file'), 'x');
    await restoreConfigured(config, [], file, { force: true });
    expect(readdirSync(target)).not.toContain('stray-file');
    expect(await snapshot({ pgliteDir: target }, ws.id)).toEqual(before);
  }, 240_000);

  it('refuses a folder without a database', async () => {
    const empty = join(temp, 'empty');
    mkdirSync(empty);
    await expect(backupPglite(empty, join(temp, 'x.tar.gz'))).rejects.toThrow(/holds no PGlite database/);
  });
});

const url = databaseUrl();
const onPostgres = url ? describe : describe.skip;

onPostgres('PostgreSQL (skipped without TEST_DATABASE_URL)', () => {
  const drops: (() => Promise<void>)[] = [];
  const database = async (suffix: string) => {
    const base = new URL(url!).pathname.slice(1);
    const created = await recreateDatabase(url!, `${base}_${suffix}_${randomUUID().slice(0, 8)}`);
    drops.push(created.drop);
    return created.url;
  };
  afterAll(async () => {
    for (const drop of drops) await drop();
    // the owner role of the non-superuser restore (roles are cluster-wide); another run may still use it
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('drop role if exists crm_backup_owner').catch(() => undefined);
    await admin.end();
  });

  it('refuses a pg_dump older than the server, writing no file', async () => {
    const bin = join(temp, 'old-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n', { mode: 0o755 });
    const file = join(temp, 'old.dump');
    await expect(withPath(bin, () => backupPostgres(url!, file))).rejects.toThrow(/pg_dump 9 is older than the server \(PostgreSQL \d+\)/);
    expect(existsSync(file)).toBe(false);
  });

  it('round trip onto an empty database: counts (pgboss included) and records equal, served as crm_app', async () => {
    const source = await database('bk_src');
    const target = await database('bk_dst');
    const file = join(temp, 'pg.dump');
    const { ws, before } = await seeded({ url: source });
    expect(Object.keys(before.counts).some((t) => t.startsWith('pgboss.'))).toBe(true);

    expect(await backupConfigured({ DATABASE_URL: source, PGLITE_DIR: 'unused' }, file)).toBe(file);

    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: target });
    expect(await restoreConfigured(config, [], file)).toEqual([]);
    expect(await snapshot({ url: target }, ws.id)).toEqual(before);
    await expectServes({ url: target }, ws);

    // a database with tables is refused and left as it was; --force drops its schemas and restores
    await expect(restoreConfigured(config, [], file)).rejects.toThrow(/is not empty .*--force/);
    expect(await snapshot({ url: target }, ws.id)).toEqual(before);
    await restoreConfigured(config, [], file, { force: true });
    expect(await snapshot({ url: target }, ws.id)).toEqual(before);
    // a truncated archive is found out before --force drops anything
    const truncated = join(temp, 'truncated.dump');
    writeFileSync(truncated, readFileSync(file).subarray(0, 200));
    await expect(restoreConfigured(config, [], truncated, { force: true })).rejects.toThrow(/pg_restore cannot read/);
    expect(await snapshot({ url: target }, ws.id)).toEqual(before);

    // restored by a database owner that is not a superuser: the dump's default privileges of its owner are left out,
    // the provisioning after the restore grants the application role again
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const owned = await database('bk_owned');
    try {
      await admin.query(`do $$ begin if not exists (select from pg_roles where rolname = 'crm_backup_owner') then
        create role crm_backup_owner login nosuperuser; end if; end $$`);
      await admin.query(`alter database "${new URL(owned).pathname.slice(1)}" owner to crm_backup_owner`);
    } finally {
      await admin.end();
    }
    const asOwner = new URL(owned);
    asOwner.username = 'crm_backup_owner';
    await restoreConfigured(loadConfig({ NODE_ENV: 'test', DATABASE_URL: asOwner.toString() }), [], file);
    expect(await snapshot({ url: owned }, ws.id)).toEqual(before);
    await expectServes({ url: asOwner.toString() }, ws);

    // a file that is no pg_dump archive writes nothing
    const empty = await database('bk_empty');
    const junk = join(temp, 'junk.dump');
    writeFileSync(junk, '\x1f\x8b not an archive');
    await expect(restoreConfigured(loadConfig({ NODE_ENV: 'test', DATABASE_URL: empty }), [], junk)).rejects.toThrow(
      /is not a pg_dump custom-format archive/,
    );
  }, 300_000);
});
