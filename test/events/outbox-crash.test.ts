import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Orm } from '../../src/db/orm.js';
import { openAppOrm } from '../../src/app/database.js';
import { databaseUrl } from '../support/harness.js';
import {
  expectBuiltServer,
  freshDatabase,
  killProcess,
  postGraphql,
  randomPort,
  seedAdminWorkspace,
  startServerProcess,
} from '../support/server-process.js';

/**
 * Nothing is lost when a server process dies with SIGKILL between the commit of a write and the delivery of its
 * event: the built server (`node dist/src/server.js`, built once by the test run's global setup) runs against a database of its own,
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

onPostgres('outbox across a SIGKILL (PostgreSQL only; skipped without TEST_DATABASE_URL)', () => {
  let crashUrl: string;
  let dir: string;
  let recordFile: string;
  const port = randomPort();
  let child: ChildProcess | null = null;
  let orm: Orm;

  beforeAll(async () => {
    crashUrl = await freshDatabase(url!, 'crash');
    dir = mkdtempSync(join(tmpdir(), 'outbox-crash-'));
    recordFile = join(dir, 'deliveries.jsonl');
    expectBuiltServer();
  }, 120_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await orm?.close(true);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = (env: Record<string, string>) => startServerProcess(crashUrl, port, { OUTBOX_TEST_RECORD_FILE: recordFile, ...env });

  async function kill(proc: ChildProcess) {
    await killProcess(proc);
    child = null;
  }

  const lines = () =>
    existsSync(recordFile)
      ? readFileSync(recordFile, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { phase: string; eventId: string; pid: number })
      : [];

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
    orm = await openAppOrm({ url: crashUrl, poolMax: 2 });
    const { workspaceId, accessToken } = await seedAdminWorkspace(orm, `crash-${port}`);
    const workspace = { id: workspaceId };
    const body = (await postGraphql(
      port,
      accessToken,
      `mutation { createContact(input: { firstName: "Kill", lastName: "Me" }) { contact { id } userErrors { field } } }`,
    )) as { data: { createContact: { userErrors: unknown[] } } };
    expect(body.data.createContact.userErrors).toEqual([]);
    const conn = orm.em.getConnection();
    const [event] = await conn.execute<{ id: string }[]>(
      `select id from outbox_event where workspace_id = ? and type = 'contact.created'`,
      [workspace.id],
    );
    expect(event).toBeDefined();
    const delivery = async () =>
      (
        await conn.execute<{ status: string; attempts: number }[]>(
          `select status, attempts from outbox_delivery where event_id = ? and subscriber = 'kernel/test-recorder'`,
          [event!.id],
        )
      )[0];
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
