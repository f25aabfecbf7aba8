import type { ChildProcess } from 'node:child_process';
import type { Orm } from '../../src/db/orm.js';
import { openAppOrm } from '../../src/app/database.js';
import { ABANDONED_ATTEMPT_ERROR } from '../../src/core/webhooks/index.js';
import { parseGlobalId } from '../../src/graphql/global-id.js';
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
import { CREATE_ENDPOINT } from './helpers.js';
import { Receiver, type Received, verify } from './receiver.js';

/**
 * A webhook delivery survives a SIGKILL of the server mid-request: the built server (`node dist/src/server.js`) on a
 * database of its own, its job runner on, sends a contact's `contact.created` to a loopback receiver whose first
 * request never gets an answer; the process is killed while that request hangs, and a new process on the same
 * database delivers it again at once after the dead claim expires (WEBHOOK_TIMEOUT_MS = 2 s: a 7 s claim) — the
 * restart queues it (`recoverableDeliveries`), not the five-minute sweep nor pg-boss's expiration. Nothing sleeps for
 * time to pass: the test waits for the receiver's requests and polls the database with a generous deadline.
 * PostgreSQL only (several processes on one database; PGlite is in-process): skipped without TEST_DATABASE_URL.
 */
const url = databaseUrl();
const onPostgres = url ? describe : describe.skip;

onPostgres('webhook delivery across a SIGKILL (PostgreSQL only; skipped without TEST_DATABASE_URL)', () => {
  let dbUrl: string;
  const port = randomPort();
  let child: ChildProcess | null = null;
  let orm: Orm | undefined;
  let receiver: Receiver | undefined;
  const env = { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_TIMEOUT_MS: '2000', JOB_RUNNER: 'on', OUTBOX_POLL_MS: '100' };

  beforeAll(async () => {
    dbUrl = await freshDatabase(url!, 'webhook_restart');
    expectBuiltServer();
  }, 120_000);

  afterAll(async () => {
    await killProcess(child);
    await receiver?.close();
    await orm?.close(true);
  });

  async function waitFor<T>(probe: () => Promise<T | null | false | undefined>, timeoutMs = 60_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > until) throw new Error('waitFor: timed out');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('SIGKILL while a delivery is in flight → the new process delivers it, same webhook-id, signed', async () => {
    receiver = await new Receiver().start();
    // the first request hangs (its socket stays open until the sender dies); later ones succeed
    let inFlight!: (request: Received) => void;
    const firstArrived = new Promise<Received>((resolve) => (inFlight = resolve));
    receiver.on('/hook', (request, response) => {
      if (receiver!.at('/hook').length === 1) inFlight(request);
      else response.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
    });

    child = await startServerProcess(dbUrl, port, env);
    orm = await openAppOrm({ url: dbUrl, poolMax: 2 });
    const { accessToken } = await seedAdminWorkspace(orm, `restart-${port}`);
    const created = await postGraphql(port, accessToken, CREATE_ENDPOINT, {
      input: { url: receiver.url('/hook'), eventTypes: ['contact.created'] },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data.createWebhookEndpoint.userErrors).toEqual([]);
    const secret: string = created.data.createWebhookEndpoint.secret;
    const endpointId = parseGlobalId(created.data.createWebhookEndpoint.endpoint.id)!.id;
    const contact = await postGraphql(
      port,
      accessToken,
      `mutation { createContact(input: { firstName: "Kill", lastName: "Mid-Request" }) { contact { id } userErrors { field } } }`,
    );
    expect(contact.data.createContact.userErrors).toEqual([]);

    // the attempt is in flight: the receiver holds the request unanswered; the sender dies before its 2 s timeout
    const first = await firstArrived;
    await killProcess(child);
    child = null;

    const conn = orm.em.getConnection();
    const delivery = async () =>
      (
        await conn.execute<{ id: string; status: string; attempts: number; locked_until: Date | null }[]>(
          `select id, status, attempts, locked_until from webhook_delivery where endpoint_id = ?`,
          [endpointId],
        )
      )[0];
    const left = await delivery();
    expect(left).toMatchObject({ id: first.headers['webhook-id'], status: 'pending', attempts: 0 });
    expect(left!.locked_until).not.toBeNull(); // the dead sender's claim

    // a new process on the same database: it queues the delivery for when the dead claim expires
    const restartedAt = Date.now();
    child = await startServerProcess(dbUrl, port, env);
    await waitFor(async () => (await delivery())?.status === 'succeeded');
    // well before the sweep (5 min) or pg-boss's default expiration (15 min) would have got to it
    expect(Date.now() - restartedAt).toBeLessThan(60_000);

    const got = receiver.at('/hook');
    expect(got).toHaveLength(2);
    const [again] = got.slice(1);
    expect(again!.headers['webhook-id']).toBe(first.headers['webhook-id']);
    const payload = verify(again!, secret);
    expect(payload).toMatchObject({ type: 'contact.created', data: { contact: { firstName: 'Kill', lastName: 'Mid-Request' } } });
    expect(verify(first, secret)).toEqual(payload); // the same message, signed anew
    expect(again!.headers['webhook-timestamp']).not.toBe(first.headers['webhook-timestamp']);

    expect(await delivery()).toMatchObject({ status: 'succeeded', attempts: 2, locked_until: null });
    const log = await conn.execute<
      { attempt_no: number; response_status: number | null; response_body: string | null; error: string | null }[]
    >(`select attempt_no, response_status, response_body, error from webhook_attempt where delivery_id = ? order by attempt_no`, [
      left!.id,
    ]);
    // the killed attempt is logged by the claim that replaced it: no response, no outcome known
    expect(log).toEqual([
      { attempt_no: 1, response_status: null, response_body: null, error: expect.stringContaining(ABANDONED_ATTEMPT_ERROR) },
      { attempt_no: 2, response_status: 200, response_body: 'thanks', error: null },
    ]);
  }, 120_000);
});
