import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Orm } from '../../src/db/orm.js';
import { Workspace } from '../../src/core/workspaces/workspace.entity.js';
import { User } from '../../src/core/identity/user.entity.js';
import { Membership, MembershipRole } from '../../src/core/identity/membership.entity.js';
import { issueSession } from '../../src/core/auth/auth.module.js';
import { databaseUrl } from '../support/harness.js';

/**
 * Nothing is lost when a server process dies with SIGKILL between the commit of a write and the delivery of its
 * event: the built server (`node dist/src/server.js`, built here with tsc) runs against a database of its own,
 * three times —
 *   1. the worker has polled and sleeps (OUTBOX_POLL_MS = 1 h) when a contact is created: the event is committed,
 *      its delivery pending; SIGKILL.
 *   2. the worker claims the delivery and the subscriber hangs mid-delivery (OUTBOX_TEST_RECORD_HANG=1); SIGKILL.
 *   3. a normal start: once the dead process's claim expires, the event is delivered — exactly once recorded.
 * The recording subscriber is the env-enabled `kernel/test-recorder` (src/events/index.ts), which appends to a file.
 * PostgreSQL only (several processes on one database; PGlite is in-process): skipped without TEST_DATABASE_URL.
 */
const url = databaseUrl();
const onPostgres = url ? describe : describe.skip;
const root = join(import.meta.dirname, '..', '..');

onPostgres('outbox across a SIGKILL (PostgreSQL only; skipped without TEST_DATABASE_URL)', () => {
  let crashUrl: string;
  let dir: string;
  let recordFile: string;
  const port = 41000 + Math.floor(Math.random() * 2000);
  let child: ChildProcess | null = null;
  let orm: Orm;

  beforeAll(async () => {
    const base = new URL(url!);
    const name = `${base.pathname.slice(1)}_crash`;
    const admin = new URL(url!);
    admin.pathname = '/postgres';
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`drop database if exists "${name}" with (force)`);
    await client.query(`create database "${name}"`);
    await client.end();
    base.pathname = `/${name}`;
    crashUrl = base.toString();
    dir = mkdtempSync(join(tmpdir(), 'outbox-crash-'));
    recordFile = join(dir, 'deliveries.jsonl');
    const build = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { encoding: 'utf8' });
    if (!existsSync(join(root, 'dist', 'src', 'server.js'))) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
  }, 120_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await orm?.close(true);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<ChildProcess> {
    const proc = spawn(process.execPath, [join(root, 'dist', 'src', 'server.js')], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', SEED_DEMO: 'false', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: crashUrl, TEST_DATABASE_URL: '', OUTBOX_TEST_RECORD_FILE: recordFile, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    const until = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}): ${output}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) return proc;
      if (Date.now() > until) throw new Error(`server did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function kill(proc: ChildProcess) {
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
    child = null;
  }

  const lines = () => (existsSync(recordFile) ? readFileSync(recordFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { phase: string; eventId: string; pid: number }) : []);

  async function waitFor<T>(probe: () => Promise<T | null | false> | T | null | false, timeoutMs = 20_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > until) throw new Error('waitFor: timed out');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('delivers an event committed before a SIGKILL, also one whose delivery was in flight, after restart', async () => {
    // run 1: migrates the database; the worker polls once at start and then sleeps for an hour
    child = await start({ OUTBOX_POLL_MS: '3600000' });
    orm = await openDatabase({ url: crashUrl, poolMax: 2 });
    const em = orm.em.fork();
    const workspace = em.create(Workspace, { name: 'Crash', slug: `crash-${port}` });
    const user = em.create(User, { email: `admin@crash-${port}.test`, name: 'Ada' });
    em.create(Membership, { workspaceId: workspace.id, userId: user.id, role: MembershipRole.ADMIN });
    await em.flush();
    const tokens = await issueSession(orm.em.fork() as SqlEntityManager, { workspaceId: workspace.id, userId: user.id }, loadConfig({ NODE_ENV: 'test' }));
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.accessToken}` },
      body: JSON.stringify({ query: `mutation { createContact(input: { firstName: "Kill", lastName: "Me" }) { contact { id } userErrors { field } } }` }),
    });
    const body = (await response.json()) as { data: { createContact: { userErrors: unknown[] } } };
    expect(body.data.createContact.userErrors).toEqual([]);
    const conn = orm.em.getConnection();
    const [event] = await conn.execute<{ id: string }[]>(`select id from outbox_event where workspace_id = ? and type = 'contact.created'`, [workspace.id]);
    expect(event).toBeDefined();
    const delivery = async () =>
      (await conn.execute<{ status: string; attempts: number }[]>(`select status, attempts from outbox_delivery where event_id = ? and subscriber = 'kernel/test-recorder'`, [event!.id]))[0];
    expect(await delivery()).toEqual({ status: 'pending', attempts: 0 });
    await kill(child!);
    expect(lines()).toEqual([]);

    // run 2: the delivery is claimed and the subscriber hangs in it; killed mid-delivery
    child = await start({ OUTBOX_POLL_MS: '50', OUTBOX_TEST_RECORD_HANG: '1', OUTBOX_LEASE_MARGIN_MS: '500' });
    await waitFor(() => lines().some((l) => l.eventId === event!.id && l.phase === 'started'));
    expect(await delivery()).toEqual({ status: 'pending', attempts: 1 });
    await kill(child!);

    // run 3: once the dead worker's claim expires (timeout 2 s + margin 0.5 s), the event is delivered
    child = await start({ OUTBOX_POLL_MS: '50' });
    await waitFor(async () => (await delivery())?.status === 'delivered');
    expect(await delivery()).toEqual({ status: 'delivered', attempts: 2 });
    const delivered = lines().filter((l) => l.eventId === event!.id && l.phase === 'delivered');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.pid).toBe(child!.pid);
    await kill(child!);
  }, 90_000);
});
