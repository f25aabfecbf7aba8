import { TestClock } from 'pg-boss';
import { WEBHOOK_QUEUES } from '../../src/app/webhook-jobs.js';
import { OutboxWorker } from '../../src/events/outbox-worker.js';
import { tickUntil, until } from '../../src/sdk/testing.js';
import { startTestServer, type TestServer } from '../support/harness.js';
import { createContact, deliveriesOf, makeEndpoint } from './helpers.js';
import { Receiver, verify } from './receiver.js';

/**
 * Webhooks end to end, nothing called directly: a contact written through GraphQL → the outbox → the fan-out
 * subscriber → an attempt job on the real queue → a real receiver on loopback that checks the signature itself.
 * Retries wait on the queue for their schedule; the test moves pg-boss's TestClock, never sleeps for time.
 */
const clock = new TestClock(Date.now());
let server: TestServer;
let receiver: Receiver;
let outbox: OutboxWorker;

beforeAll(async () => {
  server = await startTestServer({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }, queue: { clock, webhooks: true } });
  receiver = await new Receiver().start();
  outbox = new OutboxWorker({ orm: server.appOrm, pollMs: 20, backoffBaseMs: 20, leaseMarginMs: 1000 }).start();
}, 60_000);
afterAll(async () => {
  await outbox?.stop(1000);
  await receiver?.close();
  await server?.close();
});

const attempts = () => server.queue!.boss.getSpy<{ deliveryId: string }>(WEBHOOK_QUEUES.attempt);

test('a contact created through the API reaches the endpoint, signed; a failing receiver is retried on schedule', async () => {
  const ws = await server.newWorkspace();
  let failures = 1;
  receiver.on('/crm', (_request, response) => {
    if (failures-- > 0) response.writeHead(503, { 'retry-after': '20' }).end('busy');
    else response.writeHead(200).end('ok');
  });
  const endpoint = await makeEndpoint(ws, { url: receiver.url('/crm'), eventTypes: ['contact.created'] });
  await createContact(ws, { firstName: 'Ada', lastName: 'Lovelace' });

  // the outbox delivers the event to the fan-out, which queues an attempt in its transaction (this delivery's: on a
  // shared database the queue's start may also have queued other files' due deliveries)
  await until(async () => (await deliveriesOf(server, ws.id, endpoint.rawId)).length > 0);
  const [queued] = await deliveriesOf(server, ws.id, endpoint.rawId);
  const first = await tickUntil(
    clock,
    attempts().waitForJob((data) => data.deliveryId === queued!.id, 'completed'),
    1000,
  );
  const [delivery] = await deliveriesOf(server, ws.id, endpoint.rawId);
  expect(first.data.deliveryId).toBe(delivery!.id);
  expect(receiver.received.filter((r) => r.path === '/crm')).toHaveLength(1);
  expect(delivery).toMatchObject({ status: 'failed', attempts: 1 });

  // the retry waits for Retry-After (20 s, longer than the schedule's 5 s), then succeeds
  const succeeded = async () => (await deliveriesOf(server, ws.id, endpoint.rawId))[0]?.status === 'succeeded';
  for (let i = 0; i < 5; i++) await clock.tick(2000);
  expect(receiver.received.filter((r) => r.path === '/crm')).toHaveLength(1);
  await tickUntil(clock, until(succeeded), 5000);
  const got = receiver.received.filter((r) => r.path === '/crm');
  expect(got).toHaveLength(2);
  const payload = verify(got[1]!, endpoint.secret);
  expect(payload).toMatchObject({ type: 'contact.created' });
  expect(JSON.stringify(payload)).toContain('Lovelace');
  expect((await deliveriesOf(server, ws.id, endpoint.rawId))[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
});
