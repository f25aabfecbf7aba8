import { databaseUrl, startTestServer, type TestServer } from '../support/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('migrations', () => {
  it('leave no difference between the entities and the database schema', async () => {
    const diff = await server.orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });

  it('are all applied and recorded', async () => {
    const pending = await server.orm.migrator.getPending();
    expect(pending).toEqual([]);
    const executed = await server.orm.migrator.getExecuted();
    expect(executed.map((m) => m.name)).toContain('Migration20261123000000Kernel');
  });

  it('provide the search extensions on this database', async () => {
    const rows = await server.orm.em
      .getConnection()
      .execute<{ extname: string }[]>(`select extname from pg_extension where extname in ('pg_trgm', 'unaccent') order by extname`);
    expect(rows.map((r) => r.extname)).toEqual(['pg_trgm', 'unaccent']);
    expect(databaseUrl() ? 'postgresql' : 'pglite').toBeTruthy();
  });
});
