import { startTestServer, type TestServer } from '../support/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('HTTP host', () => {
  it('answers health and readiness probes', async () => {
    const health = await server.app.http.inject({ method: 'GET', url: '/healthz' });
    expect([health.statusCode, health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await server.app.http.inject({ method: 'GET', url: '/readyz' });
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('requires a workspace for workspace data, with a machine-readable code', async () => {
    const res = await server.gql('{ companies { totalCount } }');
    expect(res.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    const unknown = await server.gql('{ workspace { id } }', {}, { 'x-workspace': 'no-such-workspace' });
    expect(unknown.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('gives validation errors a code and never leaks internals', async () => {
    const ws = await server.newWorkspace();
    const invalid = await ws.gql('{ companies { nodes { doesNotExist } } }');
    expect(invalid.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const badCursor = await ws.gql('{ companies(after: "garbage") { totalCount } }');
    expect(badCursor.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['after'] });
    expect(JSON.stringify(badCursor)).not.toMatch(/stacktrace|select |at .*\.ts/);
    const tooMany = await ws.gql('{ companies(first: 5000) { totalCount } }');
    expect(tooMany.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['first'] });
  });

  it('pages backwards with last/before', async () => {
    const ws = await server.newWorkspace();
    for (const name of ['A', 'B', 'C', 'D', 'E'])
      await ws.ok(`mutation($n: String!) { createCompany(input: { name: $n }) { company { id } } }`, { n: name });
    const order = '[{ field: NAME, direction: ASC }]';
    const last2 = await ws.ok(
      `{ companies(last: 2, orderBy: ${order}) { nodes { name } pageInfo { hasPreviousPage hasNextPage startCursor } } }`,
    );
    expect(last2.companies.nodes.map((n: any) => n.name)).toEqual(['D', 'E']);
    expect(last2.companies.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const before = await ws.ok(
      `query($c: String!) { companies(last: 2, before: $c, orderBy: ${order}) { nodes { name } pageInfo { hasPreviousPage hasNextPage } } }`,
      { c: last2.companies.pageInfo.startCursor },
    );
    expect(before.companies.nodes.map((n: any) => n.name)).toEqual(['B', 'C']);
    expect(before.companies.pageInfo).toEqual({ hasPreviousPage: true, hasNextPage: true });
  });

  it('returns the first result again for a repeated idempotency key', async () => {
    const ws = await server.newWorkspace();
    const op = `mutation($k: String) { createCompany(input: { name: "Once", idempotencyKey: $k }) { company { id } } }`;
    const a = await ws.ok(op, { k: 'key-1' });
    const b = await ws.ok(op, { k: 'key-1' });
    expect(b.createCompany.company.id).toBe(a.createCompany.company.id);
    expect(await server.count('company', ws.id)).toBe(1);
  });
});

describe('cursors', () => {
  it('rejects a tampered cursor with BAD_USER_INPUT, not a server error', async () => {
    const ws = await server.newWorkspace();
    const forged = Buffer.from(JSON.stringify(['not-a-date', 'not-a-uuid'])).toString('base64url');
    const res = await ws.gql('query($c: String) { companies(first: 5, after: $c) { totalCount } }', { c: forged });
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['after'] });
  });
});
