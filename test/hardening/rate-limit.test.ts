import { loadConfig } from '../../src/config.js';
import { startTestServer, type TestServer } from '../support/harness.js';

/** The per-principal GraphQL rate limit and the sign-in throttle, through the real HTTP stack, with small limits of this file's own. */
const LIMIT = 3;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT), LOGIN_MAX_FAILURES_PER_EMAIL: '2', TRUST_PROXY: 'true' } });
});
afterAll(() => server.close());

async function post(headers: Record<string, string>, query: string, extraHeaders: Record<string, string> = {}) {
  const res = await server.app.http.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...headers, ...extraHeaders },
    payload: JSON.stringify({ query }),
  });
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: JSON.parse(res.body) as { data?: any; errors?: any[] } };
}

describe('per-principal rate limit', () => {
  it('defaults to 1200 requests a minute; 0 turns it off', () => {
    expect(loadConfig({}).RATE_LIMIT_PER_MINUTE).toBe(1200);
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '0' }).RATE_LIMIT_PER_MINUTE).toBe(0);
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: 'lots' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });

  it('answers 429 with RATE_LIMITED, retryAfterSeconds and Retry-After once a user is over the limit, and runs nothing', async () => {
    const ws = await server.newWorkspace();
    for (let i = 0; i < LIMIT; i++) {
      const ok = await post(ws.headers, '{ companies { totalCount } }');
      expect([ok.status, ok.body]).toEqual([200, { data: { companies: { totalCount: 0 } } }]);
    }
    const over = await post(ws.headers, 'mutation { createCompany(input: { name: "Too many" }) { company { id } } }');
    expect(over.status).toBe(429);
    expect(over.body.data).toBeUndefined();
    expect(over.body.errors).toHaveLength(1);
    const error = over.body.errors![0];
    expect(error.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(error.extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.extensions.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(over.retryAfter).toBe(String(error.extensions.retryAfterSeconds));
    expect(await server.count('company', ws.id)).toBe(0);
  });

  it('counts each user on their own, and malformed requests count too', async () => {
    const ws = await server.newWorkspace();
    const other = await ws.addMember('Other Member');
    for (let i = 0; i < LIMIT; i++) expect((await post(ws.headers, '{ companies { totalCount ')).status).toBe(400);
    expect((await post(ws.headers, '{ companies { totalCount } }')).status).toBe(429);
    // another member of the same workspace still has their whole budget
    for (let i = 0; i < LIMIT; i++) expect((await post(other.headers, '{ companies { totalCount } }')).status).toBe(200);
    expect((await post(other.headers, '{ companies { totalCount } }')).status).toBe(429);
  });

  it('counts anonymous callers by client IP (X-Forwarded-For, with TRUST_PROXY)', async () => {
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await post({}, '{ __typename }', from('203.0.113.7'))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await post({}, '{ __typename }', from('203.0.113.8'))).body).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('sign-in throttle over HTTP', () => {
  it('answers 429 with RATE_LIMITED and Retry-After after too many failures for one email', async () => {
    const ws = await server.newWorkspace();
    const signIn = 'mutation($e: String!) { signIn(input: { email: $e, password: "not-the-password" }) { accessToken } }';
    const attempt = async (ip: string) => {
      const res = await server.app.http.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        payload: JSON.stringify({ query: signIn, variables: { e: ws.userEmail.toUpperCase() } }),
      });
      return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.json() };
    };
    // different client addresses: the per-IP request limit does not interfere
    for (const ip of ['198.51.100.1', '198.51.100.2']) {
      const failed = await attempt(ip);
      expect(failed.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(failed.retryAfter).toBeUndefined();
    }
    const refused = await attempt('198.51.100.3');
    expect(refused.status).toBe(429);
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(refused.retryAfter).toBe(String(refused.body.errors[0].extensions.retryAfterSeconds));
    expect(refused.body.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(800);
  });
});
