import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { attemptWebhookDelivery } from '../../src/core/webhooks/index.js';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { CREATE_ENDPOINT, createContact, deliveriesOf, eventsOf, fanOut, makeEndpoint, owner } from './helpers.js';
import { Receiver, verify } from './receiver.js';

/** The webhook API: endpoints, secrets, test pings, the delivery log, replays; validation, permissions, isolation. */
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

const create = (ws: TestWorkspace | { gql: TestWorkspace['gql'] }, input: Record<string, unknown>) => ws.gql(CREATE_ENDPOINT, { input });

const UPDATE = `mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { endpoint { id url description eventTypes conditions { field equals } role enabled } userErrors { field message code } } }`;
const PING = `mutation($id: ID!) { testWebhookEndpoint(id: $id) { succeeded statusCode error delivery { id eventType status attemptCount attempts { attemptNo responseStatus responseBody durationMs requestHeaders } } userErrors { field message code } } }`;

const codes = (errors: { code: string }[]) => errors.map((e) => e.code);

describe('endpoints', () => {
  it('creates an endpoint, shows its secret only once, lists and updates it, and deletes it with its deliveries', async () => {
    const ws = await server.newWorkspace();
    const created = await create(ws, {
      url: receiver.url('/crud'),
      description: 'Warehouse sync',
      eventTypes: ['contact.*', 'company.created', 'contact.*'],
      conditions: [{ field: 'contact.lifecycleStage', equals: 'CUSTOMER' }],
    });
    const result = created.data!.createWebhookEndpoint;
    expect(result.userErrors).toEqual([]);
    expect(result.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(result.endpoint).toMatchObject({
      url: receiver.url('/crud'),
      description: 'Warehouse sync',
      eventTypes: ['contact.*', 'company.created'],
      conditions: [{ field: 'contact.lifecycleStage', equals: 'CUSTOMER' }],
      enabled: true,
      role: 'ADMIN',
    });
    const id = result.endpoint.id;
    const listed = await ws.ok(`{ webhookEndpoints(first: 10) { totalCount nodes { id url failingSince previousSecretExpiresAt } } }`);
    expect(listed.webhookEndpoints).toEqual({
      totalCount: 1,
      nodes: [{ id, url: receiver.url('/crud'), failingSince: null, previousSecretExpiresAt: null }],
    });
    // the secret is in no response and no audit entry
    const audit = await owner(server).execute<{ action: string; changes: unknown; metadata: unknown }[]>(
      `select action, changes, metadata from audit_log where workspace_id = ? and object_type = 'WebhookEndpoint'`,
      [ws.id],
    );
    expect(audit.map((a) => a.action)).toEqual(['webhookEndpoint.created']);
    expect(JSON.stringify(audit)).not.toContain(result.secret.slice(6, 20));
    expect(JSON.stringify(await ws.gql(`query($id: ID!) { webhookEndpoint(id: $id) { id url } }`, { id }))).not.toContain('whsec_');

    const updated = await ws.ok(UPDATE, { i: { id, url: receiver.url('/crud-2'), eventTypes: ['*'], conditions: null, role: 'SUPPORT' } });
    expect(updated.updateWebhookEndpoint).toEqual({
      endpoint: {
        id,
        url: receiver.url('/crud-2'),
        description: 'Warehouse sync',
        eventTypes: ['*'],
        conditions: [],
        role: 'SUPPORT',
        enabled: true,
      },
      userErrors: [],
    });

    await createContact(ws, { firstName: 'Ada' });
    await fanOut(server, ws.id);
    expect(await deliveriesOf(server, ws.id)).toHaveLength(1);
    const deleted = await ws.ok(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId userErrors { code } } }`, { id });
    expect(deleted.deleteWebhookEndpoint).toEqual({ deletedId: id, userErrors: [] });
    expect(await server.count('webhook_endpoint', ws.id)).toBe(0);
    expect(await server.count('webhook_delivery', ws.id)).toBe(0);
    const again = await ws.ok(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId userErrors { code } } }`, { id });
    expect(codes(again.deleteWebhookEndpoint.userErrors)).toEqual(['NOT_FOUND']);
  });

  it.each([
    ['a private address', 'http://10.0.0.8/hook', /private address/],
    ['a private address (192.168/16)', 'https://192.168.1.20/hook', /private address/],
    ['the metadata service (link-local)', 'http://169.254.169.254/latest/meta-data', /link-local/],
    ['IPv6 loopback', 'http://[::1]:8080/hook', /loopback/],
    ['IPv4-mapped IPv6 loopback (not allowlisted)', 'http://[::ffff:127.0.0.2]/hook', /loopback/],
    ['a unique-local IPv6 address', 'http://[fd00::1]/hook', /unique-local/],
    ['a loopback address the allowlist does not name', 'http://127.0.0.2/hook', /loopback/],
    ['localhost by name', 'http://localhost:3000/hook', /loopback/],
    ['a decimal IPv4 loopback (127.0.0.2)', 'http://2130706434/hook', /loopback/],
    ['multicast', 'http://224.0.0.1/hook', /multicast/],
  ])('refuses a URL targeting %s, writing nothing', async (_what, url, message) => {
    const ws = await server.newWorkspace();
    const result = (await create(ws, { url, eventTypes: ['*'] })).data!.createWebhookEndpoint;
    expect(result.endpoint).toBeNull();
    expect(result.secret).toBeNull();
    expect(result.userErrors).toEqual([{ field: ['url'], message: expect.stringMatching(message), code: 'FORBIDDEN' }]);
    expect(await server.count('webhook_endpoint', ws.id)).toBe(0);
    expect(await server.count('audit_log', ws.id)).toBe(0);
  });

  it('refuses hostile and malformed input, every problem at once, writing nothing', async () => {
    const ws = await server.newWorkspace();
    const cases: [Record<string, unknown>, string[] | string][] = [
      [{ url: `https://example.com/\u0000x`, eventTypes: ['*'] }, 'input.url'],
      [{ url: 'https://exa\tmple.com/', eventTypes: ['*'] }, ['url']],
      [{ url: `https://example.com/${'a'.repeat(3000)}`, eventTypes: ['*'] }, ['url']],
      [{ url: 'ftp://example.com/', eventTypes: ['*'] }, ['url']],
      [{ url: 'https://user:secret@example.com/', eventTypes: ['*'] }, ['url']],
      [{ url: 'not a url', eventTypes: ['*'] }, ['url']],
      [{ url: 'https://example.com/', eventTypes: [] }, ['eventTypes']],
      [
        { url: 'https://example.com/', eventTypes: ['contact.*', 'DROP TABLE', 'a..b', 'x'.repeat(200)] },
        ['eventTypes.1', 'eventTypes.2', 'eventTypes.3'],
      ],
      [{ url: 'https://example.com/', eventTypes: ['contact.*', 'a\u0000b'] }, 'input.eventTypes.1'],
      [{ url: 'https://example.com/', eventTypes: ['*'], description: 'bad\u0000text' }, 'input.description'],
      [{ url: 'https://example.com/', eventTypes: ['*'], description: 'x'.repeat(501) }, ['description']],
      [
        {
          url: 'https://example.com/',
          eventTypes: ['*'],
          conditions: [
            { field: 'contact.lifecycleStage', equals: { nested: true } },
            { field: '__proto__..x', equals: 'a' },
            { field: 'ok', equals: 'x'.repeat(501) },
          ],
        },
        ['conditions.0.equals', 'conditions.1.field', 'conditions.2.equals'],
      ],
      [
        { url: 'https://example.com/', eventTypes: ['*'], conditions: [{ field: 'ok', equals: 'bell\u0007' }] },
        'input.conditions.0.equals',
      ],
      [{ url: 'https://example.com/', eventTypes: ['*'], role: 'NO_SUCH_ROLE\u0000' }, 'input.role'],
      [{ url: 'http://10.0.0.1/', eventTypes: [], description: 'y'.repeat(501) }, ['url', 'description', 'eventTypes']],
    ];
    for (const [input, fields] of cases) {
      const response = await create(ws, input);
      if (typeof fields === 'string') {
        // control characters are refused before the resolver, for every argument alike (test/hardening/hostile-strings.test.ts)
        expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: fields });
        continue;
      }
      expect(response.errors).toBeUndefined();
      const result = response.data!.createWebhookEndpoint;
      expect({ input, fields: result.userErrors.map((e: { field: string[] }) => e.field.join('.')).sort() }).toEqual({
        input,
        fields: [...fields].sort(),
      });
      expect(result.endpoint).toBeNull();
    }
    expect(await server.count('webhook_endpoint', ws.id)).toBe(0);

    // an update with bad input changes nothing
    const endpoint = await makeEndpoint(ws, { url: 'https://example.com/ok', eventTypes: ['*'] });
    const bad = await ws.ok(UPDATE, { i: { id: endpoint.id, url: 'http://192.168.0.1/', description: 'fine', eventTypes: ['*'] } });
    expect(codes(bad.updateWebhookEndpoint.userErrors)).toEqual(['FORBIDDEN']);
    const stored = await owner(server).execute<{ url: string; description: string | null }[]>(
      `select url, description from webhook_endpoint where id = ?`,
      [endpoint.rawId],
    );
    expect(stored).toEqual([{ url: 'https://example.com/ok', description: null }]);
  });

  it('rotates the secret (returned once), refusing a bad overlap', async () => {
    const ws = await server.newWorkspace();
    const endpoint = await makeEndpoint(ws, { url: 'https://example.com/rotate', eventTypes: ['*'] });
    const rotate = (overlapHours: number) =>
      ws.ok(
        `mutation($id: ID!, $h: Int!) { rotateWebhookSecret(id: $id, overlapHours: $h) { secret endpoint { previousSecretExpiresAt } userErrors { field code } } }`,
        {
          id: endpoint.id,
          h: overlapHours,
        },
      );
    const before = new Date();
    const rotated = (await rotate(2)).rotateWebhookSecret;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    const expires = new Date(rotated.endpoint.previousSecretExpiresAt).getTime();
    expect(expires).toBeGreaterThanOrEqual(before.getTime() + 2 * 3600_000);
    expect(expires).toBeLessThan(before.getTime() + 2 * 3600_000 + 60_000);
    const refused = (await rotate(1000)).rotateWebhookSecret;
    expect(refused).toEqual({ secret: null, endpoint: null, userErrors: [{ field: ['overlapHours'], code: 'BAD_USER_INPUT' }] });
    const none = (await rotate(0)).rotateWebhookSecret;
    expect(none.endpoint.previousSecretExpiresAt).toBeNull();
  });

  it('the endpoint’s role may not send fields hidden from its creator', async () => {
    const ws = await server.newWorkspace();
    const role = await ws.ok(`mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } userErrors { message } } }`, {
      i: {
        name: 'Hook keeper',
        grants: [{ permission: 'webhook:manage', scope: 'ALL' }],
        fieldAllowlist: { Contact: ['emails', 'primaryEmail'] },
      },
    });
    const keeper = await ws.addMember('Keeper', MembershipRole.READ_ONLY);
    await owner(server).execute(`update membership set role = ? where workspace_id = ? and user_id = ?`, [
      role.createRole.role.id,
      ws.id,
      keeper.id,
    ]);
    const asKeeper = { gql: (q: string, v?: unknown) => server.gql(q, v, keeper.headers) } as TestWorkspace;
    const refused = (await create(asKeeper, { url: 'https://example.com/a', eventTypes: ['*'] })).data!.createWebhookEndpoint;
    expect(refused.userErrors).toEqual([{ field: ['role'], message: expect.stringMatching(/Contact\.phones/), code: 'FORBIDDEN' }]);
    const own = (await create(asKeeper, { url: 'https://example.com/a', eventTypes: ['*'], role: role.createRole.role.id })).data!
      .createWebhookEndpoint;
    expect(own.userErrors).toEqual([]);
    // nor redirect an endpoint that sends more than it may see
    const adminEndpoint = await makeEndpoint(ws, { url: 'https://example.com/admin', eventTypes: ['*'] });
    const redirected = await asKeeper.gql(UPDATE, { i: { id: adminEndpoint.id, url: 'https://attacker.example.com/' } });
    expect(redirected.data!.updateWebhookEndpoint.userErrors).toEqual([
      { field: ['role'], message: expect.stringMatching(/Contact\.phones/), code: 'FORBIDDEN' },
    ]);
    const narrowed = await asKeeper.gql(UPDATE, {
      i: { id: adminEndpoint.id, url: 'https://attacker.example.com/', role: role.createRole.role.id },
    });
    expect(narrowed.data!.updateWebhookEndpoint.userErrors).toEqual([]);
    const unknown = (await create(ws, { url: 'https://example.com/a', eventTypes: ['*'], role: 'WIZARD' })).data!.createWebhookEndpoint;
    expect(unknown.userErrors).toEqual([{ field: ['role'], message: 'no role "WIZARD" in this workspace', code: 'NOT_FOUND' }]);
  });
});

describe('test ping and the delivery log', () => {
  it('pings an endpoint now and returns the result; a failed ping is not retried', async () => {
    const ws = await server.newWorkspace();
    const endpoint = await makeEndpoint(ws, { url: receiver.url('/ping'), eventTypes: ['contact.created'] });
    const pinged = await ws.ok(PING, { id: endpoint.id });
    expect(pinged.testWebhookEndpoint).toMatchObject({
      succeeded: true,
      statusCode: 200,
      error: null,
      delivery: {
        eventType: 'webhook.ping',
        status: 'SUCCEEDED',
        attemptCount: 1,
        attempts: [{ attemptNo: 1, responseStatus: 200, responseBody: 'ok' }],
      },
      userErrors: [],
    });
    const request = receiver.at('/ping')[0]!;
    expect(verify(request, endpoint.secret)).toMatchObject({ type: 'webhook.ping', workspaceId: ws.id, data: { endpointId: endpoint.id } });
    expect(pinged.testWebhookEndpoint.delivery.attempts[0].requestHeaders['webhook-id']).toBe(request.headers['webhook-id']);

    receiver.on('/ping-fails', (_req, res) => res.writeHead(500).end('x'.repeat(5000)));
    await ws.ok(UPDATE, { i: { id: endpoint.id, url: receiver.url('/ping-fails') } });
    const failed = (await ws.ok(PING, { id: endpoint.id })).testWebhookEndpoint;
    expect(failed).toMatchObject({ succeeded: false, statusCode: 500, error: 'HTTP 500', delivery: { status: 'DEAD' } });
    expect(failed.delivery.attempts[0].responseBody).toHaveLength(2048);
    // pings leave the endpoint's failing state alone
    const state = await ws.ok(`query($id: ID!) { webhookEndpoint(id: $id) { failingSince } }`, { id: endpoint.id });
    expect(state.webhookEndpoint.failingSince).toBeNull();
    const missing = (await ws.ok(PING, { id: toGlobalId('WebhookEndpoint', '00000000-0000-4000-8000-000000000000') })).testWebhookEndpoint;
    expect(codes(missing.userErrors)).toEqual(['NOT_FOUND']);
  });

  it('lists deliveries per endpoint (by status and event type) and per event, with their attempts', async () => {
    const ws = await server.newWorkspace();
    receiver.on('/log-fails', (_req, res) => res.writeHead(503).end('later'));
    const good = await makeEndpoint(ws, { url: receiver.url('/log'), eventTypes: ['*'] });
    const bad = await makeEndpoint(ws, { url: receiver.url('/log-fails'), eventTypes: ['contact.*'] });
    await createContact(ws, { firstName: 'Logged' });
    await ws.ok(`mutation { createCompany(input: { name: "Logged Co" }) { company { id } } }`);
    await fanOut(server, ws.id);
    for (const row of await deliveriesOf(server, ws.id)) await attemptWebhookDelivery(server.appOrm, row.id, new Date());
    const query = `query($id: ID!, $filter: WebhookDeliveryFilter) { webhookEndpoint(id: $id) { deliveries(first: 10, filter: $filter) { totalCount nodes { eventType status attemptCount lastStatusCode lastError nextAttemptAt attempts { attemptNo responseStatus responseBody durationMs } } } } }`;
    const all = await ws.ok(query, { id: good.id });
    expect(all.webhookEndpoint.deliveries.totalCount).toBe(2);
    const companies = await ws.ok(query, { id: good.id, filter: { eventTypes: ['company.*'] } });
    expect(companies.webhookEndpoint.deliveries.nodes.map((n: { eventType: string }) => n.eventType)).toEqual(['company.created']);
    const failing = await ws.ok(query, { id: bad.id, filter: { status: ['FAILED'] } });
    expect(failing.webhookEndpoint.deliveries.nodes).toEqual([
      {
        eventType: 'contact.created',
        status: 'FAILED',
        attemptCount: 1,
        lastStatusCode: 503,
        lastError: 'HTTP 503',
        nextAttemptAt: expect.any(String),
        attempts: [{ attemptNo: 1, responseStatus: 503, responseBody: 'later', durationMs: expect.any(Number) }],
      },
    ]);
    expect((await ws.ok(query, { id: bad.id, filter: { status: ['SUCCEEDED'] } })).webhookEndpoint.deliveries.totalCount).toBe(0);
    const [event] = await eventsOf(server, ws.id, 'contact.created');
    const perEvent = await ws.ok(
      `query($e: ID!) { webhookDeliveries(first: 10, filter: { eventId: $e }) { totalCount nodes { endpointId eventId status } } }`,
      { e: event!.id },
    );
    expect(perEvent.webhookDeliveries.totalCount).toBe(2);
    expect(perEvent.webhookDeliveries.nodes.map((n: { endpointId: string }) => n.endpointId).sort()).toEqual([good.id, bad.id].sort());
    const bad1 = await ws.gql(`{ webhookDeliveries(first: 5, filter: { eventTypes: ["no spaces"] }) { totalCount } }`);
    expect(bad1.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('permissions and isolation', () => {
  it('a Sales member can neither see nor manage endpoints', async () => {
    const ws = await server.newWorkspace();
    const endpoint = await makeEndpoint(ws, { url: receiver.url('/sales'), eventTypes: ['*'] });
    const sales = await ws.addMember('Sam Sales', MembershipRole.SALES);
    const as = (q: string, v?: unknown) => server.gql(q, v, sales.headers);
    for (const [query, variables] of [
      [`{ webhookEndpoints(first: 5) { totalCount } }`, {}],
      [`query($id: ID!) { webhookEndpoint(id: $id) { id } }`, { id: endpoint.id }],
      [CREATE_ENDPOINT, { input: { url: receiver.url('/sales'), eventTypes: ['*'] } }],
      [UPDATE, { i: { id: endpoint.id, url: receiver.url('/sales-2') } }],
      [PING, { id: endpoint.id }],
      [`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: endpoint.id }],
      [`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId } }`, { id: endpoint.id }],
    ] as const) {
      const response = await as(query, variables);
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(await server.count('webhook_endpoint', ws.id)).toBe(1);
    expect(await server.count('webhook_delivery', ws.id)).toBe(0);
    expect(receiver.at('/sales')).toHaveLength(0);
  });

  it('another workspace’s endpoints, deliveries and events are out of reach', async () => {
    const a = await server.newWorkspace();
    const b = await server.newWorkspace();
    const endpointA = await makeEndpoint(a, { url: receiver.url('/isolated-a'), eventTypes: ['*'] });
    const endpointB = await makeEndpoint(b, { url: receiver.url('/isolated-b'), eventTypes: ['*'] });
    await createContact(a, { firstName: 'Private' });
    await fanOut(server, a.id);
    await fanOut(server, b.id);
    const [deliveryA] = await deliveriesOf(server, a.id);
    expect(deliveryA!.endpoint_id).toBe(endpointA.rawId);
    expect(await deliveriesOf(server, b.id)).toEqual([]);
    const deliveryId = toGlobalId('WebhookDelivery', deliveryA!.id);

    const seen = await b.ok(
      `query($id: ID!, $e: ID!) { webhookEndpoint(id: $id) { id } webhookEndpoints(first: 10) { nodes { id } } webhookDeliveries(first: 10, endpointId: $id) { totalCount } byEvent: webhookDeliveries(first: 10, filter: { eventId: $e }) { totalCount } }`,
      { id: endpointA.id, e: deliveryA!.event_id },
    );
    expect(seen).toEqual({
      webhookEndpoint: null,
      webhookEndpoints: { nodes: [{ id: endpointB.id }] },
      webhookDeliveries: { totalCount: 0 },
      byEvent: { totalCount: 0 },
    });
    const writes = await b.ok(
      `mutation($id: ID!, $d: ID!) {
        u: updateWebhookEndpoint(input: { id: $id, url: "https://example.com/stolen" }) { userErrors { code } }
        r: rotateWebhookSecret(id: $id) { secret userErrors { code } }
        t: testWebhookEndpoint(id: $id) { userErrors { code } }
        p: replayWebhookDelivery(id: $d) { userErrors { code } }
        f: replayFailedWebhookDeliveries(endpointId: $id, from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z") { replayedCount userErrors { code } }
        x: deleteWebhookEndpoint(id: $id) { userErrors { code } }
      }`,
      { id: endpointA.id, d: deliveryId },
    );
    for (const key of ['u', 'r', 't', 'p', 'f', 'x']) expect([key, codes(writes[key].userErrors)]).toEqual([key, ['NOT_FOUND']]);
    expect(writes.r.secret).toBeNull();
    const stored = await owner(server).execute<{ url: string }[]>(`select url from webhook_endpoint where id = ?`, [endpointA.rawId]);
    expect(stored).toEqual([{ url: receiver.url('/isolated-a') }]);
    expect(receiver.at('/isolated-a')).toHaveLength(0);
    expect(receiver.at('/isolated-b')).toHaveLength(0);
  });
});
