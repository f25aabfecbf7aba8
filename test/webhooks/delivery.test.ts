import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import {
  ABANDONED_ATTEMPT_ERROR,
  attemptWebhookDelivery,
  attemptWebhookDeliveries,
  claimDurationMs,
  DEFAULT_WEBHOOK_SETTINGS,
  disableFailingWebhookEndpoints,
  dueDeliveries,
  MAX_ATTEMPTS,
  recoverableDeliveries,
  RETRY_SCHEDULE_MS,
  setWebhookDeliveryScheduler,
  type QueuedDelivery,
} from '../../src/core/webhooks/index.js';
import { claimDelivery } from '../../src/core/webhooks/delivery.js';
import { rotateSecret } from '../../src/core/webhooks/webhooks.service.js';
import { withWorkspace } from '../../src/db/rls/tenant-context.js';
import { OutboxWorker } from '../../src/events/outbox-worker.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { attemptsOf, createContact, deliveriesOf, eventsOf, fanOut, makeEndpoint, owner } from './helpers.js';
import { closedPort, Receiver, verifies, verify } from './receiver.js';

/**
 * Outbound webhooks end to end: domain events → deliveries (fan-out) → signed HTTP attempts to a real receiver on
 * 127.0.0.1 (allowed by WEBHOOK_ALLOWED_HOSTS) that verifies the signatures itself. Time is passed as `now`; nothing
 * sleeps to let time pass.
 */
let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  server = await startTestServer({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await receiver?.close();
  await server?.close();
});

const attempt = (id: string, now: Date, overrides = {}) => attemptWebhookDelivery(server.appOrm, id, now, overrides);

async function setup(path: string, input: Record<string, unknown> = {}) {
  const ws = await server.newWorkspace();
  const endpoint = await makeEndpoint(ws, { url: receiver.url(path), eventTypes: ['contact.*'], ...input });
  return { ws, endpoint };
}

/** One contact created, fanned out: the endpoint's single delivery. */
async function oneDelivery(ws: TestWorkspace, endpointRawId: string, contact: Record<string, unknown> = { firstName: 'Ada' }) {
  await createContact(ws, contact);
  await fanOut(server, ws.id);
  const rows = await deliveriesOf(server, ws.id, endpointRawId);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

describe('fan-out', () => {
  it('the kernel subscriber records a pending delivery per matching endpoint when the outbox worker delivers the event', async () => {
    const { ws, endpoint } = await setup('/fan-out');
    const other = await makeEndpoint(ws, { url: receiver.url('/fan-out-companies'), eventTypes: ['company.created'] });
    await createContact(ws, { firstName: 'Grace' });
    const worker = new OutboxWorker({ orm: server.appOrm, pollMs: 10, backoffBaseMs: 10 }).start();
    try {
      const until = Date.now() + 15_000;
      while (!(await deliveriesOf(server, ws.id)).length) {
        if (Date.now() > until) throw new Error('no webhook delivery was recorded');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await worker.stop(2000);
    }
    const rows = await deliveriesOf(server, ws.id);
    expect(rows).toEqual([
      expect.objectContaining({ endpoint_id: endpoint.rawId, event_type: 'contact.created', status: 'pending', attempts: 0 }),
    ]);
    expect(rows.some((r) => r.endpoint_id === other.rawId)).toBe(false);
    // fanning the same event out again creates nothing (one delivery per endpoint and event)
    await fanOut(server, ws.id);
    expect(await deliveriesOf(server, ws.id)).toHaveLength(1);
  });

  it('matches wildcard patterns and conditions on the payload; disabled endpoints get nothing', async () => {
    const ws = await server.newWorkspace();
    const all = await makeEndpoint(ws, { url: receiver.url('/all'), eventTypes: ['*'] });
    const created = await makeEndpoint(ws, { url: receiver.url('/created'), eventTypes: ['*.created'] });
    const contacts = await makeEndpoint(ws, { url: receiver.url('/contacts'), eventTypes: ['contact.*'] });
    const exact = await makeEndpoint(ws, { url: receiver.url('/exact'), eventTypes: ['company.created'] });
    const customers = await makeEndpoint(ws, {
      url: receiver.url('/customers'),
      eventTypes: ['contact.created'],
      conditions: [{ field: 'contact.lifecycleStage', equals: 'CUSTOMER' }],
    });
    const off = await makeEndpoint(ws, { url: receiver.url('/off'), eventTypes: ['*'], enabled: false });
    await createContact(ws, { firstName: 'Lead', lifecycleStage: 'LEAD' });
    await createContact(ws, { firstName: 'Customer', lifecycleStage: 'CUSTOMER' });
    await ws.ok(`mutation { createCompany(input: { name: "Acme" }) { company { id } userErrors { message } } }`);
    await fanOut(server, ws.id);
    const rows = await deliveriesOf(server, ws.id);
    const typesOf = (e: { rawId: string }) =>
      rows
        .filter((r) => r.endpoint_id === e.rawId)
        .map((r) => r.event_type)
        .sort();
    expect(typesOf(all)).toEqual(['company.created', 'contact.created', 'contact.created']);
    expect(typesOf(created)).toEqual(['company.created', 'contact.created', 'contact.created']);
    expect(typesOf(contacts)).toEqual(['contact.created', 'contact.created']);
    expect(typesOf(exact)).toEqual(['company.created']);
    expect(typesOf(customers)).toEqual(['contact.created']);
    expect(typesOf(off)).toEqual([]);
  });

  it('hands new deliveries to the scheduler in the creating transaction', async () => {
    const { ws, endpoint } = await setup('/scheduled');
    const seen: QueuedDelivery[] = [];
    setWebhookDeliveryScheduler(server.appOrm, async (em, deliveries) => {
      expect(em).toBeDefined();
      seen.push(...deliveries);
    });
    try {
      const delivery = await oneDelivery(ws, endpoint.rawId);
      expect(seen).toEqual([expect.objectContaining({ id: delivery.id, workspaceId: ws.id, runAt: expect.any(Date) })]);
    } finally {
      setWebhookDeliveryScheduler(server.appOrm, null);
    }
  });
});

describe('one attempt', () => {
  it('posts a payload signed per Standard Webhooks that the receiver verifies, and records the attempt', async () => {
    const { ws, endpoint } = await setup('/signed');
    const delivery = await oneDelivery(ws, endpoint.rawId, { firstName: 'Ada', lastName: 'Lovelace', jobTitle: 'Countess' });
    const now = new Date();
    const result = await attempt(delivery.id, now);
    expect(result).toEqual({ outcome: 'succeeded', statusCode: 200, error: null, attemptNo: 1 });
    const [request] = receiver.at('/signed');
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': delivery.id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    });
    const payload = verify(request!, endpoint.secret);
    const [event] = await eventsOf(server, ws.id, 'contact.created');
    expect(payload).toMatchObject({
      id: event!.id,
      type: 'contact.created',
      workspaceId: ws.id,
      data: { contact: { firstName: 'Ada', lastName: 'Lovelace', jobTitle: 'Countess' } },
    });
    expect(verifies(request!, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe(false);
    expect((await deliveriesOf(server, ws.id))[0]).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      last_status_code: 200,
      next_attempt_at: null,
    });
    const [logged] = await attemptsOf(server, delivery.id);
    expect(logged).toMatchObject({ attempt_no: 1, response_status: 200, response_body: 'ok', error: null });
    expect(logged!.request_body).toBe(request!.body);
    expect(logged!.request_headers['webhook-signature']).toBe(request!.headers['webhook-signature']);
    // done: another call skips it
    expect(await attempt(delivery.id, new Date(now.getTime() + 60_000))).toEqual({ outcome: 'skipped' });
    expect(receiver.at('/signed')).toHaveLength(1);
  });

  it('leaves out the fields the endpoint’s role may not see', async () => {
    const ws = await server.newWorkspace();
    const support = await makeEndpoint(ws, { url: receiver.url('/support-role'), eventTypes: ['contact.created'], role: 'SUPPORT' });
    const admin = await makeEndpoint(ws, { url: receiver.url('/admin-role'), eventTypes: ['contact.created'] });
    await createContact(ws, { firstName: 'Hidden', emails: [{ email: 'hidden@example.com' }], phones: [{ number: '+44 20 7946 0000' }] });
    await fanOut(server, ws.id);
    for (const row of await deliveriesOf(server, ws.id)) expect((await attempt(row.id, new Date())).outcome).toBe('succeeded');
    const supportPayload = verify(receiver.at('/support-role')[0]!, support.secret);
    const adminPayload = verify(receiver.at('/admin-role')[0]!, admin.secret);
    expect(supportPayload.data.contact).not.toHaveProperty('phones');
    expect(supportPayload.data.contact.primaryEmail).toBe('hidden@example.com');
    expect(adminPayload.data.contact.phones).toEqual([expect.objectContaining({ number: '+44 20 7946 0000' })]);
    // a custom role that hides e-mails: neither emails nor primaryEmail leave
    const role = await ws.ok(`mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } userErrors { field message } } }`, {
      i: { name: 'No mail', grants: [{ permission: 'contact:read', scope: 'ALL' }], fieldAllowlist: { Contact: ['phones'] } },
    });
    const custom = await makeEndpoint(ws, {
      url: receiver.url('/custom-role'),
      eventTypes: ['contact.updated'],
      role: role.createRole.role.id,
    });
    const contact = await ws.ok(`{ contacts(first: 1) { nodes { id version } } }`);
    const { id, version } = contact.contacts.nodes[0];
    await ws.ok(`mutation($i: UpdateContactInput!) { updateContact(input: $i) { userErrors { message } } }`, {
      i: { id, version, emails: [{ email: 'new@example.com' }], jobTitle: 'Spy' },
    });
    await fanOut(server, ws.id);
    const [update] = await deliveriesOf(server, ws.id, custom.rawId);
    expect((await attempt(update!.id, new Date())).outcome).toBe('succeeded');
    const data = verify(receiver.at('/custom-role')[0]!, custom.secret).data;
    expect(data.changedFields).toEqual(['jobTitle']);
    expect(Object.keys(data.changes)).toEqual(['jobTitle']);
    expect(JSON.stringify(data)).not.toContain('new@example.com');
  });

  it('a 500 schedules the next attempt per the schedule; after the last one the delivery is dead', async () => {
    const { ws, endpoint } = await setup('/always-500');
    receiver.on('/always-500', (_req, res) => res.writeHead(500).end('boom'));
    const delivery = await oneDelivery(ws, endpoint.rawId);
    let now = new Date();
    for (let n = 1; n < MAX_ATTEMPTS; n++) {
      const result = await attempt(delivery.id, now);
      expect(result).toEqual({
        outcome: 'retry',
        retryAt: new Date(now.getTime() + RETRY_SCHEDULE_MS[n - 1]!),
        statusCode: 500,
        error: 'HTTP 500',
        attemptNo: n,
      });
      const [row] = await deliveriesOf(server, ws.id);
      expect(row).toMatchObject({ status: 'failed', attempts: n, last_status_code: 500, next_attempt_at: result.retryAt });
      // not due before its time
      expect(await attempt(delivery.id, new Date(result.retryAt!.getTime() - 60_000))).toEqual({ outcome: 'skipped' });
      now = result.retryAt!;
    }
    expect(await attempt(delivery.id, now)).toEqual({ outcome: 'dead', statusCode: 500, error: 'HTTP 500', attemptNo: MAX_ATTEMPTS });
    expect((await deliveriesOf(server, ws.id))[0]).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS, next_attempt_at: null });
    expect(await attempt(delivery.id, new Date(now.getTime() + 48 * 3600_000))).toEqual({ outcome: 'skipped' });
    expect(receiver.at('/always-500')).toHaveLength(MAX_ATTEMPTS);
    const log = await attemptsOf(server, delivery.id);
    expect(log.map((a) => [a.attempt_no, a.response_status, a.response_body])).toEqual(
      Array.from({ length: MAX_ATTEMPTS }, (_, i) => [i + 1, 500, 'boom']),
    );
  });

  it('attempts a batch of deliveries of several workspaces at once, each settled as if attempted alone', async () => {
    const ws = await server.newWorkspace();
    const ok = await makeEndpoint(ws, { url: receiver.url('/batch-ok'), eventTypes: ['contact.*'] });
    const failing = await makeEndpoint(ws, { url: receiver.url('/batch-500'), eventTypes: ['contact.*'] });
    const off = await makeEndpoint(ws, { url: receiver.url('/batch-off'), eventTypes: ['contact.*'] });
    receiver.on('/batch-500', (_req, res) => res.writeHead(500).end('no'));
    await createContact(ws, { firstName: 'Batch' });
    await createContact(ws, { firstName: 'Batched' });
    await fanOut(server, ws.id);
    await owner(server).execute(`update webhook_endpoint set enabled = false where id = ?`, [off.rawId]);
    const other = await setup('/batch-other');
    const otherDelivery = await oneDelivery(other.ws, other.endpoint.rawId);
    const rows = await deliveriesOf(server, ws.id);
    const idsOf = (endpoint: { rawId: string }) => rows.filter((r) => r.endpoint_id === endpoint.rawId).map((r) => r.id);
    expect(rows).toHaveLength(6);
    const now = new Date();
    const stranger = '00000000-0000-4000-8000-000000000000';
    const outcomes = await attemptWebhookDeliveries(
      server.appOrm,
      [...rows.map((r) => r.id), otherDelivery.id, 'not-an-id', stranger],
      now,
    );

    for (const id of idsOf(ok)) expect(outcomes.get(id)).toEqual({ outcome: 'succeeded', statusCode: 200, error: null, attemptNo: 1 });
    for (const id of idsOf(failing))
      expect(outcomes.get(id)).toEqual({
        outcome: 'retry',
        retryAt: new Date(now.getTime() + RETRY_SCHEDULE_MS[0]!),
        statusCode: 500,
        error: 'HTTP 500',
        attemptNo: 1,
      });
    for (const id of [...idsOf(off), 'not-an-id', stranger]) expect(outcomes.get(id)).toEqual({ outcome: 'skipped' });
    expect(outcomes.get(otherDelivery.id)).toMatchObject({ outcome: 'succeeded', attemptNo: 1 });

    const after = await deliveriesOf(server, ws.id);
    const statusOf = (endpoint: { rawId: string }) =>
      after.filter((r) => r.endpoint_id === endpoint.rawId).map((r) => [r.status, r.attempts]);
    expect(statusOf(ok)).toEqual([
      ['succeeded', 1],
      ['succeeded', 1],
    ]);
    expect(statusOf(failing)).toEqual([
      ['failed', 1],
      ['failed', 1],
    ]);
    expect(statusOf(off)).toEqual([
      ['dead', 0],
      ['dead', 0],
    ]);
    expect(receiver.at('/batch-ok').map((r) => verifies(r, ok.secret))).toEqual([true, true]);
    expect(receiver.at('/batch-500')).toHaveLength(2);
    expect(receiver.at('/batch-off')).toHaveLength(0);
    expect(receiver.at('/batch-other').map((r) => verifies(r, other.endpoint.secret))).toEqual([true]);
    for (const id of [...idsOf(ok), ...idsOf(failing)]) expect((await attemptsOf(server, id)).map((a) => a.attempt_no)).toEqual([1]);
    const failingSince = await owner(server).execute<{ id: string; failing_since: unknown }[]>(
      `select id, failing_since from webhook_endpoint where id in (?, ?)`,
      [ok.rawId, failing.rawId],
    );
    expect(
      Object.fromEntries(failingSince.map((r) => [r.id, r.failing_since == null ? null : new Date(String(r.failing_since)).getTime()])),
    ).toEqual({
      [ok.rawId]: null,
      [failing.rawId]: now.getTime(),
    });

    // the same batch again at the same time: nothing is due, nothing is sent
    const again = await attemptWebhookDeliveries(server.appOrm, [...rows.map((r) => r.id), otherDelivery.id], now);
    expect([...again.values()].every((o) => o.outcome === 'skipped')).toBe(true);
    expect(receiver.at('/batch-ok')).toHaveLength(2);
  });

  it('honours Retry-After (seconds or HTTP date) when it asks for longer than the schedule, capped at 24 hours', async () => {
    const { ws, endpoint } = await setup('/busy');
    let retryAfter = '120';
    receiver.on('/busy', (_req, res) => res.writeHead(503, { 'retry-after': retryAfter }).end());
    const delivery = await oneDelivery(ws, endpoint.rawId);
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const first = await attempt(delivery.id, now);
    expect(first).toMatchObject({ outcome: 'retry', retryAt: new Date(now.getTime() + 120_000), statusCode: 503 });
    retryAfter = new Date(first.retryAt!.getTime() + 3600_000).toUTCString();
    const second = await attempt(delivery.id, first.retryAt!);
    expect(second.retryAt).toEqual(new Date(first.retryAt!.getTime() + 3600_000));
    retryAfter = '1';
    const third = await attempt(delivery.id, second.retryAt!);
    expect(third.retryAt).toEqual(new Date(second.retryAt!.getTime() + RETRY_SCHEDULE_MS[2]!));
    retryAfter = String(7 * 24 * 3600);
    const fourth = await attempt(delivery.id, third.retryAt!);
    expect(fourth.retryAt).toEqual(new Date(third.retryAt!.getTime() + 24 * 3600_000));
  });

  it('a timeout and a refused connection are failed attempts, retried per the schedule', async () => {
    const { ws, endpoint } = await setup('/hang');
    receiver.on('/hang', () => undefined);
    const delivery = await oneDelivery(ws, endpoint.rawId);
    const now = new Date();
    const timedOut = await attempt(delivery.id, now, { timeoutMs: 300 });
    expect(timedOut).toMatchObject({ outcome: 'retry', retryAt: new Date(now.getTime() + 5000), statusCode: null });
    expect(timedOut.error).toMatch(/timed out after 300 ms/);
    const [logged] = await attemptsOf(server, delivery.id);
    expect(logged).toMatchObject({ response_status: null, response_body: null });
    expect(logged!.duration_ms).toBeGreaterThanOrEqual(250);

    const port = await closedPort();
    await server.orm.em
      .getConnection()
      .execute(`update webhook_endpoint set url = ? where id = ?`, [`http://127.0.0.1:${port}/gone`, endpoint.rawId]);
    const refused = await attempt(delivery.id, timedOut.retryAt!);
    expect(refused).toMatchObject({ outcome: 'retry', retryAt: new Date(timedOut.retryAt!.getTime() + 5 * 60_000), statusCode: null });
    expect(refused.error).toMatch(/ECONNREFUSED/);
    expect((await deliveriesOf(server, ws.id))[0]).toMatchObject({ status: 'failed', attempts: 2 });
  });

  it('does not follow redirects', async () => {
    const { ws, endpoint } = await setup('/moved');
    receiver.on('/moved', (_req, res) => res.writeHead(302, { location: receiver.url('/moved-here') }).end());
    const delivery = await oneDelivery(ws, endpoint.rawId);
    const result = await attempt(delivery.id, new Date());
    expect(result).toMatchObject({ outcome: 'retry', statusCode: 302 });
    expect(result.error).toMatch(/redirect not followed.*moved-here/);
    expect(receiver.at('/moved')).toHaveLength(1);
    expect(receiver.at('/moved-here')).toHaveLength(0);
  });

  it('refuses at send time a target that is not allowed (a loopback address without the allowlist)', async () => {
    const { ws, endpoint } = await setup('/not-allowed');
    const delivery = await oneDelivery(ws, endpoint.rawId);
    const result = await attempt(delivery.id, new Date(), {
      allow: { hosts: new Set(), addresses: new (await import('node:net')).BlockList(), entries: [] },
    });
    expect(result).toMatchObject({ outcome: 'retry', statusCode: null });
    expect(result.error).toMatch(/refused: the URL targets a loopback address \(127\.0\.0\.1\)/);
    expect(receiver.at('/not-allowed')).toHaveLength(0);
    // a host name is resolved and every address checked: localhost resolves to loopback
    await owner(server).execute(`update webhook_endpoint set url = ? where id = ?`, [
      `http://webhooks.example:${receiver.port}/not-allowed`,
      endpoint.rawId,
    ]);
    const resolved = await attempt(delivery.id, result.retryAt!, {
      resolve: async () => [{ address: '10.1.2.3', family: 4 }],
    });
    expect(resolved.error).toMatch(/refused: webhooks\.example resolves to a private address \(10\.1\.2\.3\)/);
    expect(receiver.at('/not-allowed')).toHaveLength(0);
  });
});

describe('secret rotation', () => {
  it('signs with both secrets during the overlap and only with the new one after it', async () => {
    const { ws, endpoint } = await setup('/rotation');
    const rotated = await ws.ok(
      `mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapHours: 24) { secret endpoint { previousSecretExpiresAt } userErrors { message } } }`,
      {
        id: endpoint.id,
      },
    );
    const second: string = rotated.rotateWebhookSecret.secret;
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(endpoint.secret);
    const delivery = await oneDelivery(ws, endpoint.rawId);
    expect((await attempt(delivery.id, new Date())).outcome).toBe('succeeded');
    const during = receiver.at('/rotation')[0]!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifies(during, second)).toBe(true);
    expect(verifies(during, endpoint.secret)).toBe(true);

    // a rotation whose overlap has ended by now: only the newest secret signs
    const now = new Date();
    const { secret: third } = await withWorkspace(server.appOrm, ws.id, (em) =>
      rotateSecret(em, ws.id, endpoint.rawId, 1, new Date(now.getTime() - 2 * 3600_000)),
    );
    await ws.ok(`mutation($id: ID!) { replayWebhookDelivery(id: $id) { userErrors { message } } }`, {
      id: Buffer.from(`WebhookDelivery:${delivery.id}`).toString('base64url'),
    });
    expect((await attempt(delivery.id, new Date(now.getTime() + 3000))).outcome).toBe('succeeded');
    const after = receiver.at('/rotation')[1]!;
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(verifies(after, third)).toBe(true);
    expect(verifies(after, second)).toBe(false);
    expect(verifies(after, endpoint.secret)).toBe(false);
  });
});

describe('replay, due deliveries and auto-disable', () => {
  it('replays a dead delivery and every failed one of a time range; the log keeps counting', async () => {
    const { ws, endpoint } = await setup('/flaky');
    let status = 500;
    receiver.on('/flaky', (_req, res) => res.writeHead(status).end());
    await createContact(ws, { firstName: 'One' });
    await createContact(ws, { firstName: 'Two' });
    await fanOut(server, ws.id);
    const [a, b] = await deliveriesOf(server, ws.id);
    let now = new Date();
    for (let n = 1; n <= MAX_ATTEMPTS; n++) now = (await attempt(a!.id, now)).retryAt ?? now;
    expect((await deliveriesOf(server, ws.id))[0]!.status).toBe('dead');
    expect((await attempt(b!.id, new Date())).outcome).toBe('retry');

    status = 200;
    const globalA = Buffer.from(`WebhookDelivery:${a!.id}`).toString('base64url');
    const replayed = await ws.ok(
      `mutation($id: ID!) { replayWebhookDelivery(id: $id) { delivery { id status attemptCount } userErrors { message } } }`,
      { id: globalA },
    );
    expect(replayed.replayWebhookDelivery).toEqual({ delivery: { id: globalA, status: 'PENDING', attemptCount: 0 }, userErrors: [] });
    expect(await attempt(a!.id, new Date())).toMatchObject({ outcome: 'succeeded', attemptNo: MAX_ATTEMPTS + 1 });

    // the range: nothing before it, b (failed) inside it
    const from = new Date(Date.now() - 3600_000).toISOString();
    const none = await ws.ok(
      `mutation($e: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { replayFailedWebhookDeliveries(endpointId: $e, from: $from, to: $to) { replayedCount userErrors { message } } }`,
      { e: endpoint.id, from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z' },
    );
    expect(none.replayFailedWebhookDeliveries.replayedCount).toBe(0);
    const all = await ws.ok(
      `mutation($e: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { replayFailedWebhookDeliveries(endpointId: $e, from: $from, to: $to) { replayedCount userErrors { message } } }`,
      { e: endpoint.id, from, to: new Date(Date.now() + 3600_000).toISOString() },
    );
    expect(all.replayFailedWebhookDeliveries).toEqual({ replayedCount: 1, userErrors: [] });
    expect(await attempt(b!.id, new Date())).toMatchObject({ outcome: 'succeeded', attemptNo: 2 });
  });

  it('dueDeliveries lists pending and failed deliveries whose time has come, not those scheduled later', async () => {
    const { ws, endpoint } = await setup('/due');
    receiver.on('/due', (_req, res) => res.writeHead(500).end());
    await createContact(ws, { firstName: 'One' });
    await createContact(ws, { firstName: 'Two' });
    await fanOut(server, ws.id);
    const [a, b] = await deliveriesOf(server, ws.id, endpoint.rawId);
    const now = new Date(Date.now() + 1000);
    const mine = async (at: Date) =>
      (await dueDeliveries(server.appOrm, at, 10_000)).filter((d) => d.workspaceId === ws.id).map((d) => d.id);
    expect((await mine(now)).sort()).toEqual([a!.id, b!.id].sort());
    const failed = await attempt(a!.id, now);
    expect(await mine(now)).toEqual([b!.id]);
    expect((await mine(failed.retryAt!)).sort()).toEqual([a!.id, b!.id].sort());
  });

  it('a claim its sender never settled (killed mid-request): recovered at its end, logged as an attempt without outcome', async () => {
    const { ws, endpoint } = await setup('/recover');
    await createContact(ws, { firstName: 'Claimed' });
    await createContact(ws, { firstName: 'Due' });
    await fanOut(server, ws.id);
    const [claimed, due] = await deliveriesOf(server, ws.id, endpoint.rawId);
    const now = new Date(Date.now() + 1000);
    const mine = async (at: Date) =>
      (await recoverableDeliveries(server.appOrm, at, 10_000))
        .filter((d) => d.workspaceId === ws.id)
        .sort((x, y) => (x.id < y.id ? -1 : 1));
    // a sender claims the first and dies before recording anything
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, timeoutMs: 2000 };
    const prepared = await withWorkspace(server.appOrm, ws.id, (em) => claimDelivery(em, ws.id, claimed!.id, now, settings));
    expect(prepared!.lockedUntil).toEqual(new Date(now.getTime() + 2000 + 5000));
    expect(claimDurationMs(20_000)).toBe(40_000);
    const claimEnd = new Date(prepared!.lockedUntil.getTime() + 2000);
    expect(await mine(now)).toEqual(
      [
        { id: claimed!.id, workspaceId: ws.id, runAt: claimEnd },
        { id: due!.id, workspaceId: ws.id, runAt: now },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
    expect(await attempt(claimed!.id, new Date(now.getTime() + 1000))).toEqual({ outcome: 'skipped' });
    expect(await attempt(due!.id, now)).toMatchObject({ outcome: 'succeeded' });
    expect((await mine(now)).map((d) => d.id)).toEqual([claimed!.id]);

    // at the claim's end the next attempt logs the killed one (no response, counted) and sends again
    expect(await attempt(claimed!.id, claimEnd)).toMatchObject({ outcome: 'succeeded', attemptNo: 2, statusCode: 200 });
    const log = await attemptsOf(server, claimed!.id);
    expect(log.map((a) => [a.attempt_no, a.response_status, a.duration_ms])).toEqual([
      [1, null, 0],
      [2, 200, expect.any(Number)],
    ]);
    expect(log[0]!.error).toContain(ABANDONED_ATTEMPT_ERROR);
    expect(log[0]!.error).toContain(prepared!.lockedUntil.toISOString());
    expect((await deliveriesOf(server, ws.id, endpoint.rawId)).find((d) => d.id === claimed!.id)).toMatchObject({
      status: 'succeeded',
      attempts: 2,
    });
    expect(await mine(claimEnd)).toEqual([]);
  });

  it('disables an endpoint failing for N days, with an audit entry and a webhook.endpointDisabled event', async () => {
    const { ws, endpoint } = await setup('/down');
    const admin = await ws.addMember('Second Admin', MembershipRole.ADMIN);
    expect(admin.id).toBeDefined();
    receiver.on('/down', (_req, res) => res.writeHead(502).end());
    const delivery = await oneDelivery(ws, endpoint.rawId);
    // a clock of its own (the year 2000): no other test's endpoint is failing that long
    const start = new Date('2000-01-01T00:00:00.000Z');
    await owner(server).execute(`update webhook_delivery set next_attempt_at = ? where id = ?`, [start.toISOString(), delivery.id]);
    const failed = await attempt(delivery.id, start);
    expect(failed.outcome).toBe('retry');
    const day = 24 * 3600_000;
    expect(await disableFailingWebhookEndpoints(server.appOrm, new Date(start.getTime() + 4 * day), 5)).toEqual([]);
    const disabled = await disableFailingWebhookEndpoints(server.appOrm, new Date(start.getTime() + 5 * day), 5);
    expect(disabled).toEqual([{ id: endpoint.rawId, workspaceId: ws.id, url: receiver.url('/down'), failingSince: start }]);
    const state = await ws.ok(`query($id: ID!) { webhookEndpoint(id: $id) { enabled failingSince disabledAt disabledReason } }`, {
      id: endpoint.id,
    });
    expect(state.webhookEndpoint).toEqual({
      enabled: false,
      failingSince: start.toISOString(),
      disabledAt: new Date(start.getTime() + 5 * day).toISOString(),
      disabledReason: `every delivery failed for 5 days (since ${start.toISOString()})`,
    });
    const [event] = await eventsOf(server, ws.id, 'webhook.endpointDisabled');
    expect(event!.payload).toMatchObject({ id: endpoint.rawId, url: receiver.url('/down'), failingSince: start.toISOString() });
    const audit = await owner(server).execute<{ action: string }[]>(
      `select action from audit_log where workspace_id = ? and object_id = ?`,
      [ws.id, endpoint.rawId],
    );
    expect(audit.map((a) => a.action)).toContain('webhookEndpoint.disabled');
    // its pending retry is not sent any more: settled as dead when it comes due
    expect(await attempt(delivery.id, failed.retryAt!)).toEqual({ outcome: 'skipped' });
    expect((await deliveriesOf(server, ws.id, endpoint.rawId))[0]).toMatchObject({ status: 'dead', last_error: 'endpoint is disabled' });
    // re-enabled by a member: healthy again
    const enabled = await ws.ok(
      `mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { endpoint { enabled failingSince disabledAt } userErrors { message } } }`,
      {
        i: { id: endpoint.id, enabled: true },
      },
    );
    expect(enabled.updateWebhookEndpoint).toEqual({ endpoint: { enabled: true, failingSince: null, disabledAt: null }, userErrors: [] });
  });
});
