import { randomBytes } from 'node:crypto';
import { startTestServer, type TestServer } from '../support/harness.js';

/**
 * The server as configured for production: no introspection, no schema hints, masked internal errors.
 * Its own in-memory database: one test breaks a table on purpose.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(40),
      ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
      LOG_LEVEL: 'silent',
    },
    privateDatabase: true,
  });
});
afterAll(() => server.close());

describe('production configuration', () => {
  it('refuses introspection', async () => {
    const ws = await server.newWorkspace();
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Contact") { fields { name } } }']) {
      const res = await ws.gql(query);
      expect(res.data).toBeUndefined();
      expect(res.errors![0]).toMatchObject({
        message: expect.stringMatching(/introspection/i),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });
    }
    // __typename is not introspection of the schema and stays available
    expect(await ws.ok('{ __typename }')).toEqual({ __typename: 'Query' });
  });

  it('gives no field suggestions', async () => {
    const ws = await server.newWorkspace();
    const res = await ws.gql('{ companie { totalCount } }');
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/Cannot query field "companie"/);
    expect(JSON.stringify(res)).not.toMatch(/Did you mean|"companies"|\\"companies\\"/);
  });

  it('masks an internal error: no message details, stack or SQL in the response', async () => {
    const ws = await server.newWorkspace();
    await ws.ok('mutation { createCompany(input: { name: "Acme" }) { company { id } } }');
    // break the table under the running server: the next read fails inside the database driver
    await server.orm.em.getConnection().execute('alter table company rename column name to name_broken');
    try {
      const res = await server.app.http.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', ...ws.headers },
        payload: JSON.stringify({ query: '{ companies { nodes { id name } } }' }),
      });
      const body = res.json();
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0].message).toBe('Internal server error');
      expect(body.errors[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
      expect(res.body).not.toMatch(/select|from\s+"?company|name_broken|does not exist|stacktrace|\.ts:\d+|\.js:\d+|at \w+ \(/i);
    } finally {
      await server.orm.em.getConnection().execute('alter table company rename column name_broken to name');
    }
    // the server is fine afterwards
    expect((await ws.ok('{ companies { nodes { name } } }')).companies.nodes).toEqual([{ name: 'Acme' }]);
  });
});
