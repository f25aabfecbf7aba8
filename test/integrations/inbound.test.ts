import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

/** Inbound integrations: `POST /hooks/in/<token>` through the real HTTP stack, into the outbox. */
let server: TestServer;
let ws: TestWorkspace;

const CREATE = `mutation($i: CreateIntegrationInput!) { createIntegration(input: $i) { integration { id name } token userErrors { field message code } } }`;

beforeAll(async () => {
  server = await startTestServer();
  ws = await server.newWorkspace();
});
afterAll(() => server?.close());

const post = (token: string, payload: string, headers: Record<string, string> = {}) =>
  server.app.http.inject({
    method: 'POST',
    url: `/hooks/in/${token}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload,
  });

const events = (workspaceId: string) =>
  server.orm.em
    .getConnection()
    .execute<{ id: string; payload: { integration: string; body: unknown } }[]>(
      `select id, payload from outbox_event where workspace_id = ? and type = 'integration.received' order by occurred_at, id`,
      [workspaceId],
    );

async function create(w: TestWorkspace, name: string): Promise<string> {
  const data = await w.ok(CREATE, { i: { name } });
  expect(data.createIntegration.userErrors).toEqual([]);
  return data.createIntegration.token;
}

test('a post becomes an integration.received event in the token’s workspace; a replay with the same Idempotency-Key writes nothing', async () => {
  const token = await create(ws, 'shop');
  expect(token).toMatch(/^crm_in_/);
  const first = await post(token, JSON.stringify({ order: 42, status: 'paid' }), { 'idempotency-key': 'order-42-paid' });
  expect(first.statusCode).toBe(202);
  const { eventId, replayed } = first.json();
  expect(replayed).toBe(false);
  expect(await events(ws.id)).toEqual([
    { id: eventId, payload: expect.objectContaining({ integration: 'shop', body: { order: 42, status: 'paid' } }) },
  ]);

  const again = await post(token, JSON.stringify({ order: 42, status: 'paid' }), { 'idempotency-key': 'order-42-paid' });
  expect(again.statusCode).toBe(202);
  expect(again.json()).toEqual({ eventId, replayed: true });
  expect(await events(ws.id)).toHaveLength(1);

  // without a key, every post is an event
  expect((await post(token, '[1, 2]')).statusCode).toBe(202);
  expect(await events(ws.id)).toHaveLength(2);
  const listed = await ws.ok(`{ integrations { name lastReceivedAt revokedAt } }`);
  expect(listed.integrations).toEqual([{ name: 'shop', lastReceivedAt: expect.any(String), revokedAt: null }]);
});

test('bad tokens, revoked tokens, oversize, non-JSON and malformed posts are refused and write nothing', async () => {
  const w = await server.newWorkspace();
  const token = await create(w, 'forms');
  const forged = `${token.slice(0, -5)}AAAAA`;
  expect((await post(forged, '{}')).statusCode).toBe(401);
  expect((await post('not-a-token', '{}')).statusCode).toBe(401);
  expect((await post(token, JSON.stringify({ blob: 'x'.repeat(70 * 1024) }))).statusCode).toBe(413);
  expect((await post(token, 'order=42', { 'content-type': 'application/x-www-form-urlencoded' })).statusCode).toBe(415);
  expect((await post(token, '{"order": ')).statusCode).toBe(400);
  expect((await post(token, '"just a string"')).statusCode).toBe(400);
  expect((await post(token, '{}', { 'idempotency-key': 'k'.repeat(201) })).statusCode).toBe(400);
  // text PostgreSQL cannot store (NUL) or that has no place in CRM data, in a value or a key
  const nul = await post(token, '{"order": {"note": "a\\u0000b"}}');
  expect(nul.statusCode).toBe(400);
  expect(nul.json().error).toMatch(/^body\.order\.note: U\+0000 is not allowed in text/);
  expect((await post(token, '{"bad\\u0007key": 1}')).statusCode).toBe(400);
  expect((await post(token, '["\\ud800"]')).statusCode).toBe(400);
  expect(await events(w.id)).toEqual([]);

  const [{ id }] = (await w.ok(`{ integrations { id } }`)).integrations;
  const revoked = await w.ok(`mutation($id: ID!) { revokeIntegration(id: $id) { integration { revokedAt } userErrors { code } } }`, { id });
  expect(revoked.revokeIntegration.userErrors).toEqual([]);
  const refused = await post(token, '{}');
  expect(refused.statusCode).toBe(401);
  expect(refused.json()).toEqual({ error: 'the integration was revoked' });
  expect(await events(w.id)).toEqual([]);
});

test('names are checked, only admins manage integrations, and workspaces do not see each other’s', async () => {
  const w = await server.newWorkspace();
  const nul = await w.gql(CREATE, { i: { name: 'shop\u0000' } });
  expect(nul.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'i.name' });
  for (const name of ['Shop', '', 'x'.repeat(61), 'bad name']) {
    const data = await w.ok(CREATE, { i: { name } });
    expect(data.createIntegration).toEqual({
      integration: null,
      token: null,
      userErrors: [expect.objectContaining({ field: ['name'], code: 'BAD_USER_INPUT' })],
    });
  }
  await create(w, 'billing');
  expect((await w.ok(CREATE, { i: { name: 'billing' } })).createIntegration.userErrors).toEqual([
    expect.objectContaining({ code: 'CONFLICT' }),
  ]);
  expect(await server.count('integration', w.id)).toBe(1);

  const sales = await w.addMember('Sam Sales', MembershipRole.SALES);
  const denied = await server.gql(CREATE, { i: { name: 'sneaky' } }, sales.headers);
  expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect(await server.count('integration', w.id)).toBe(1);

  const other = await server.newWorkspace();
  expect((await other.ok(`{ integrations { name } }`)).integrations).toEqual([]);
  const [{ id }] = (await w.ok(`{ integrations { id } }`)).integrations;
  const foreign = await other.ok(`mutation($id: ID!) { revokeIntegration(id: $id) { userErrors { code } } }`, { id });
  expect(foreign.revokeIntegration.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
});
