import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { databaseUrl, startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { openRequestSession } from '../../src/db/request-session.js';
import { withWorkspace } from '../../src/db/rls/index.js';

/**
 * The request session that carries the tenant context: on PostgreSQL one transaction per request, in which
 * mutations nest as savepoints. Runs on both databases; the transaction-only checks run on PostgreSQL.
 */
const onPostgres = databaseUrl() ? it : it.skip;

describe('request session and tenant context (transaction checks need TEST_DATABASE_URL)', () => {
  let server: TestServer;
  let ws: TestWorkspace;

  beforeAll(async () => {
    server = await startTestServer();
    ws = await server.newWorkspace();
  });
  afterAll(() => server?.close());

  const insertTag = (em: SqlEntityManager, name: string, id = randomUUID()) =>
    em.execute('insert into tag (id, workspace_id, created_at, updated_at, name, normalized_name) values (?, ?, now(), now(), ?, ?)', [
      id,
      ws.id,
      name,
      name.toLowerCase(),
    ]);
  const tagNames = async () =>
    (
      await server.orm.em.getConnection().execute<{ name: string }[]>('select name from tag where workspace_id = ? order by name', [ws.id])
    ).map((r) => r.name);

  it('keeps the request usable after a nested transaction fails with an SQL error, and commits the rest at the end', async () => {
    const session = await openRequestSession(server.appOrm, ws.id, { userId: ws.userId });
    const id = randomUUID();
    await insertTag(session.em, 'Session one', id);
    // the same primary key again: the database refuses it inside the savepoint
    await expect(session.em.transactional((tx) => insertTag(tx as SqlEntityManager, 'Duplicate', id))).rejects.toThrow();
    const rows = await session.em.execute<{ n: number }[]>('select count(*)::int as n from tag where workspace_id = ?', [ws.id]);
    expect(rows[0]!.n).toBeGreaterThanOrEqual(1);
    await session.em.transactional((tx) => insertTag(tx as SqlEntityManager, 'Session two'));
    await session.end();
    await session.end(); // idempotent
    expect(await tagNames()).toEqual(expect.arrayContaining(['Session one', 'Session two']));
    expect(await tagNames()).not.toContain('Duplicate');
  });

  it('writes the successful mutations of a document and none of a rejected one', async () => {
    await ws.ok(`mutation { createTag(input: { name: "Existing" }) { userErrors { field } } }`);
    const before = await server.count('tag', ws.id);
    const res = await ws.ok(`mutation {
      dup: createTag(input: { name: "Existing" }) { tag { id } userErrors { field code } }
      fresh: createTag(input: { name: "Fresh" }) { tag { name } userErrors { field } }
    }`);
    expect(res.dup).toEqual({ tag: null, userErrors: [{ field: ['name'], code: 'CONFLICT' }] });
    expect(res.fresh).toEqual({ tag: { name: 'Fresh' }, userErrors: [] });
    expect(await server.count('tag', ws.id)).toBe(before + 1);
  });

  onPostgres('rolls the whole request back when it ends with an error', async () => {
    const session = await openRequestSession(server.appOrm, ws.id);
    await insertTag(session.em, 'Rolled back');
    await session.end(new Error('the request failed'));
    expect(await tagNames()).not.toContain('Rolled back');
  });

  onPostgres('shows an anonymous session no tenant rows, and writes nothing for it', async () => {
    const session = await openRequestSession(server.appOrm, null);
    try {
      const rows = await session.em.execute<{ n: number }[]>('select count(*)::int as n from tag where workspace_id = ?', [ws.id]);
      expect(rows[0]!.n).toBe(0);
      await expect(insertTag(session.em, 'Anonymous')).rejects.toThrow(/row-level security/);
    } finally {
      await session.end(new Error('done'));
    }
    expect(await server.count('tag', ws.id)).toBeGreaterThan(0);
  });

  it('runs background work in one workspace with withWorkspace', async () => {
    const n = await withWorkspace(server.appOrm, ws.id, async (em) => {
      await insertTag(em, 'Background');
      return (await em.execute<{ n: number }[]>('select count(*)::int as n from tag'))[0]!.n;
    });
    // on PostgreSQL the application role sees this workspace's tags only
    if (databaseUrl()) expect(n).toBe(await server.count('tag', ws.id));
    expect(await tagNames()).toContain('Background');
    await expect(
      withWorkspace(server.appOrm, ws.id, async (em) => {
        await insertTag(em, 'Undone');
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    if (databaseUrl()) expect(await tagNames()).not.toContain('Undone');
  });
});
