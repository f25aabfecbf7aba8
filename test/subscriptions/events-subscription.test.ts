import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { insertEvents } from '../../src/events/emit.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

let server: TestServer;
let url: string;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startTestServer();
  await server.app.http.listen({ port: 0, host: '127.0.0.1' });
  url = `ws://127.0.0.1:${(server.app.http.server.address() as AddressInfo).port}/graphql/ws`;
});
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await server?.close();
});

const client = (authorization?: string) => {
  const c = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: authorization ? { authorization } : {},
    onNonLazyError: () => {},
  });
  clients.push(c);
  return c;
};

interface Received {
  events: { type: string; payload: Record<string, any> }[];
  errors: unknown[];
  ready: Promise<void>;
}

/** Subscribes and collects what arrives; `ready` resolves once the server acknowledged the connection. */
function subscribe(c: Client, query: string, variables: Record<string, unknown> = {}): Received {
  const received: Received = { events: [], errors: [], ready: new Promise((resolve) => c.on('connected', () => resolve())) };
  c.subscribe<{ events: { type: string; payload: Record<string, any> } }>(
    { query, variables },
    {
      next: (result) => (result.errors ? received.errors.push(...result.errors) : received.events.push(result.data!.events)),
      error: (error) => received.errors.push(...(Array.isArray(error) ? error : [error])),
      complete: () => {},
    },
  );
  return received;
}

const EVENTS = `subscription($types: [String!]) { events(types: $types) { id type occurredAt actorUserId payload } }`;
const createContact = (ws: TestWorkspace, firstName: string) =>
  ws.ok(`mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } userErrors { message } } }`, {
    i: { firstName, lastName: 'Stream' },
  });

const waitFor = async (check: () => boolean, ms = 5000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
const settle = () => new Promise((resolve) => setTimeout(resolve, 600));

test("a workspace's subscriber receives its own contact.created, not another workspace's", async () => {
  const a = await server.newWorkspace();
  const b = await server.newWorkspace();
  const inA = subscribe(client(a.headers.authorization), EVENTS, { types: ['contact.*'] });
  const inB = subscribe(client(b.headers.authorization), EVENTS);
  await Promise.all([inA.ready, inB.ready]);
  await settle(); // the subscriptions took their starting point

  await createContact(b, 'Bea');
  const created = await createContact(a, 'Ada');
  await waitFor(() => inA.events.length >= 1);
  await settle();

  expect(inA.errors).toEqual([]);
  expect(inA.events).toHaveLength(1);
  expect(inA.events[0]).toMatchObject({ type: 'contact.created', actorUserId: a.userId });
  expect(inA.events[0]!.payload.contact.firstName).toBe('Ada');
  expect(created.createContact.contact.id).toBeTruthy();
  // B sees only B's contact
  expect(inB.events.map((e) => e.payload.contact?.firstName)).toEqual(['Bea']);
});

test('the types filter applies', async () => {
  const a = await server.newWorkspace();
  const onlyTasks = subscribe(client(a.headers.authorization), EVENTS, { types: ['task.completed'] });
  await onlyTasks.ready;
  await settle();
  await createContact(a, 'Ignored');
  await settle();
  expect(onlyTasks.events).toEqual([]);
});

test('a member with a TEAM-scoped contact:read receives only contacts in reach', async () => {
  const a = await server.newWorkspace();
  const sales = await a.addMember('Seller', 'SALES' as never);
  const r = subscribe(client(sales.headers.authorization), EVENTS);
  await r.ready;
  await settle();
  await createContact(a, 'NotMine'); // owned by the admin, outside the seller's team
  await a.ok(`mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }`, {
    i: { firstName: 'Mine', lastName: 'Stream', ownerId: toGlobalId('User', sales.id) },
  });
  await waitFor(() => r.events.length >= 1);
  await settle();
  expect(r.events.map((e) => e.payload.contact.firstName)).toEqual(['Mine']);
});

test('an unauthenticated or forged connection is refused', async () => {
  for (const authorization of [undefined, 'Bearer not-a-token']) {
    const closed = new Promise<number>((resolve) => {
      const c = createClient({
        url,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        connectionParams: authorization ? { authorization } : {},
        onNonLazyError: () => {},
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      clients.push(c);
    });
    expect(await closed).toBe(4403);
  }
});

test('queries and mutations are refused over WebSocket', async () => {
  const a = await server.newWorkspace();
  const r = subscribe(client(a.headers.authorization), `{ __typename }`);
  await waitFor(() => r.errors.length > 0);
  expect(JSON.stringify(r.errors)).toMatch(/Only subscriptions/);
});

test('the HTTP route’s operation limits apply to subscriptions too (aliases, tokens)', async () => {
  const a = await server.newWorkspace();
  const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(' ');
  const tooMany = subscribe(client(a.headers.authorization), `subscription { events { ${aliases} } }`);
  await waitFor(() => tooMany.errors.length > 0);
  expect(tooMany.errors).toEqual([
    expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', limit: 'maxAliases' }) }),
  ]);
  expect(tooMany.events).toEqual([]);

  const long = subscribe(
    client(a.headers.authorization),
    `subscription { events { ${Array.from({ length: 5100 }, () => 'id').join(' ')} } }`,
  );
  await waitFor(() => long.errors.length > 0);
  expect(long.errors).toEqual([
    expect.objectContaining({ message: 'Token limit of 5000 exceeded.', extensions: expect.objectContaining({ limit: 'maxTokens' }) }),
  ]);
});

test('credentials are checked again at every subscribe: after sign-out, a new subscription on the open connection is UNAUTHENTICATED', async () => {
  const a = await server.newWorkspace();
  const member = await a.addMember('Leaving', 'SALES' as never);
  const c = client(member.headers.authorization);
  const first = subscribe(c, EVENTS);
  await first.ready;
  await settle();
  expect(first.errors).toEqual([]);
  const removed = await a.ok(`mutation($id: ID!) { removeMember(input: { userId: $id }) { userErrors { message } } }`, {
    id: toGlobalId('User', member.id),
  });
  expect(removed.removeMember.userErrors).toEqual([]);
  const second = subscribe(c, EVENTS);
  await waitFor(() => second.errors.length > 0);
  expect(second.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
});

// several connections at once: PostgreSQL only (PGlite serves one connection)
(process.env.TEST_DATABASE_URL ? test : test.skip)(
  'an event of a long transaction is streamed once when it commits; events committed meanwhile are not held back',
  async () => {
    const a = await server.newWorkspace();
    const r = subscribe(client(a.headers.authorization), EVENTS, { types: ['contact.*'] });
    await r.ready;
    await settle();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // a transaction that takes its id now and commits only when released
    const longTx = server.orm.em.fork().transactional(async (em) => {
      await insertEvents(em as never, [{ workspaceId: a.id, type: 'contact.longRunning', payload: { contact: { firstName: 'Long' } } }]);
      await held;
    });
    await createContact(a, 'Meanwhile');
    await waitFor(() => r.events.some((e) => e.type === 'contact.created'));
    expect(r.events.map((e) => e.type)).toEqual(['contact.created']);
    await settle(); // several polls while the long transaction is open
    release();
    await longTx;
    await waitFor(() => r.events.some((e) => e.type === 'contact.longRunning'));
    await settle();
    expect(r.events.map((e) => e.type)).toEqual(['contact.created', 'contact.longRunning']);
  },
);
