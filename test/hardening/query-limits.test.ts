import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

/** graphql-armor limits, CSRF prevention and the body limit, through the real HTTP stack with small limits. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: {
      GRAPHQL_MAX_DEPTH: '6',
      GRAPHQL_MAX_ALIASES: '3',
      GRAPHQL_MAX_DIRECTIVES: '3',
      GRAPHQL_MAX_TOKENS: '200',
      GRAPHQL_MAX_COST: '1000',
      BODY_LIMIT_BYTES: String(64 * 1024),
    },
  });
});
afterAll(() => server.close());

/** POST /graphql as the workspace's admin, returning status, headers and the parsed body. */
async function post(ws: TestWorkspace, query: string, variables?: unknown) {
  const res = await server.app.http.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...ws.headers },
    payload: JSON.stringify({ query, variables }),
  });
  return { status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) as { data?: any; errors?: any[] } };
}

function expectRefused(res: Awaited<ReturnType<typeof post>>, limit: string, message: RegExp) {
  expect(res.status).toBe(400);
  expect(res.body.data).toBeUndefined();
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors![0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT', limit } });
  expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|Syntax Error|\.ts:\d+/);
}

describe('operation limits (graphql-armor)', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await server.newWorkspace();
  });

  it('refuses a query deeper than GRAPHQL_MAX_DEPTH and runs one at the limit', async () => {
    const atLimit = await post(ws, '{ contacts { nodes { company { contacts { nodes { id } } } } } }');
    expect([atLimit.status, atLimit.body.errors]).toEqual([200, undefined]);
    const deeper = await post(ws, '{ contacts { nodes { company { contacts { nodes { company { id } } } } } } }');
    expectRefused(deeper, 'maxDepth', /depth limit of 6 exceeded, found 7/);
  });

  it('refuses more aliases than GRAPHQL_MAX_ALIASES, and a refused mutation writes nothing', async () => {
    const three = await post(ws, '{ a: companies { totalCount } b: companies { totalCount } c: companies { totalCount } }');
    expect(three.body).toEqual({ data: { a: { totalCount: 0 }, b: { totalCount: 0 }, c: { totalCount: 0 } } });
    const create = (alias: string) => `${alias}: createCompany(input: { name: "${alias}" }) { company { id } }`;
    const four = await post(ws, `mutation { ${['a', 'b', 'c', 'd'].map(create).join(' ')} }`);
    expectRefused(four, 'maxAliases', /Aliases limit of 3 exceeded, found 4/);
    expect(await server.count('company', ws.id)).toBe(0);
  });

  it('refuses more directives than GRAPHQL_MAX_DIRECTIVES', async () => {
    const ok = await post(ws, '{ companies { totalCount @include(if: true) @skip(if: false) } }');
    expect(ok.body).toEqual({ data: { companies: { totalCount: 0 } } });
    const res = await post(
      ws,
      '{ companies @include(if: true) { totalCount @include(if: true) @skip(if: false) } contacts @skip(if: false) { totalCount } }',
    );
    expectRefused(res, 'maxDirectives', /Directives limit of 3 exceeded, found 4/);
  });

  it('refuses a document of more than GRAPHQL_MAX_TOKENS tokens before parsing it all', async () => {
    const ok = await post(ws, `{ companies { ${'totalCount '.repeat(100)}} }`);
    expect(ok.body).toEqual({ data: { companies: { totalCount: 0 } } });
    const res = await post(ws, `{ companies { ${'totalCount '.repeat(250)}} }`);
    expectRefused(res, 'maxTokens', /^Token limit of 200 exceeded/);
  });

  it('refuses an operation whose estimated cost exceeds GRAPHQL_MAX_COST (page sizes multiply)', async () => {
    const small = await post(ws, '{ contacts(first: 10) { nodes { id name company { id name } } } }');
    expect(small.body).toEqual({ data: { contacts: { nodes: [] } } });
    const big = await post(ws, '{ contacts(first: 100) { nodes { id name company { id name } } } }');
    expectRefused(big, 'costLimit', /Cost limit of 1000 exceeded, found 2075/);
  });

  it('masks field suggestions ("Did you mean …")', async () => {
    const res = await post(ws, '{ companies { totalCont } }');
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors![0].message).toMatch(/Cannot query field "totalCont"/);
    expect(res.body.errors![0].message).not.toMatch(/Did you mean|totalCount/);
  });
});

describe('CSRF prevention', () => {
  it('refuses a GET without a preflight header and answers one that has it', async () => {
    const ws = await server.newWorkspace();
    const url = `/graphql?query=${encodeURIComponent('{ companies { totalCount } }')}`;
    const simple = await server.app.http.inject({ method: 'GET', url, headers: ws.headers });
    expect(simple.statusCode).toBe(400);
    expect(simple.json().errors[0]).toMatchObject({
      message: expect.stringMatching(/Cross-Site Request Forgery/),
      extensions: { code: 'BAD_REQUEST' },
    });
    const preflighted = await server.app.http.inject({
      method: 'GET',
      url,
      headers: { ...ws.headers, 'apollo-require-preflight': 'true' },
    });
    expect([preflighted.statusCode, preflighted.json()]).toEqual([200, { data: { companies: { totalCount: 0 } } }]);
  });

  it('refuses text/plain and form posts (what a cross-site form can send) and writes nothing', async () => {
    const ws = await server.newWorkspace();
    const payload = JSON.stringify({ query: 'mutation { createCompany(input: { name: "Forged" }) { company { id } } }' });
    const textPlain = await server.app.http.inject({
      method: 'POST',
      url: '/graphql',
      headers: { ...ws.headers, 'content-type': 'text/plain' },
      payload,
    });
    expect(textPlain.statusCode).toBe(400);
    expect(textPlain.json().errors[0].message).toMatch(/Cross-Site Request Forgery/);
    const form = await server.app.http.inject({
      method: 'POST',
      url: '/graphql',
      headers: { ...ws.headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `query=${encodeURIComponent('mutation { createCompany(input: { name: "Forged" }) { company { id } } }')}`,
    });
    expect(form.statusCode).toBeGreaterThanOrEqual(400);
    expect(form.statusCode).toBeLessThan(500);
    expect(await server.count('company', ws.id)).toBe(0);
    // the same request as JSON goes through: the refusals above were CSRF prevention, not a broken operation
    const json = await server.app.http.inject({
      method: 'POST',
      url: '/graphql',
      headers: { ...ws.headers, 'content-type': 'application/json' },
      payload,
    });
    expect(json.json().data.createCompany.company.id).toEqual(expect.any(String));
    expect(await server.count('company', ws.id)).toBe(1);
  });
});

describe('request body limit', () => {
  it('answers 413 with a JSON error for a body over BODY_LIMIT_BYTES, and writes nothing', async () => {
    const ws = await server.newWorkspace();
    const name = 'x'.repeat(70 * 1024);
    const res = await server.app.http.inject({
      method: 'POST',
      url: '/graphql',
      headers: { ...ws.headers, 'content-type': 'application/json' },
      payload: JSON.stringify({
        query: 'mutation($n: String!) { createCompany(input: { name: $n }) { company { id } } }',
        variables: { n: name },
      }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json()).toMatchObject({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: expect.stringMatching(/too large/i) });
    expect(await server.count('company', ws.id)).toBe(0);
  });
});
