import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { databaseUrl, startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { APP_ROLE, appRoleUrl, roleFacts } from '../../src/db/rls/index.js';

/**
 * Workspace isolation's second line, checked in the database itself: connected as the API's role, with raw SQL
 * that carries no workspace condition of the ORM's, another workspace's rows stay invisible and unwritable.
 * PGlite runs as a superuser (policies exist but do not apply), so this file needs PostgreSQL.
 */
const url = databaseUrl();
const onPostgres = url ? describe : describe.skip;

const NIL = '00000000-0000-0000-0000-000000000000';

onPostgres('row-level security on PostgreSQL (skipped without TEST_DATABASE_URL)', () => {
  let server: TestServer;
  let a: TestWorkspace;
  let b: TestWorkspace;
  let tenantTables: string[];
  let app: pg.Client;
  const populatedInB = ['membership', 'tag', 'team', 'team_member', 'contact', 'company', 'custom_role', 'audit_log'];

  /** Runs `work` as the application role in one transaction with the tenant context set (rolled back after). */
  async function asApp<T>(
    context: { workspaceId?: string; userId?: string } | null,
    work: (q: (text: string, params?: unknown[]) => Promise<any[]>) => Promise<T>,
  ): Promise<T> {
    await app.query('begin');
    try {
      if (context)
        await app.query(`select set_config('app.workspace_id', $1, true), set_config('app.user_id', $2, true)`, [
          context.workspaceId ?? '',
          context.userId ?? '',
        ]);
      return await work(async (text, params) => (await app.query(text, params)).rows);
    } finally {
      await app.query('rollback');
    }
  }

  /** The error a statement fails with as the application role (null: it succeeded). */
  async function failure(
    context: { workspaceId?: string } | null,
    text: string,
    params: unknown[] = [],
  ): Promise<{ code: string; message: string } | null> {
    try {
      await asApp(context, (q) => q(text, params));
      return null;
    } catch (error) {
      return { code: (error as { code: string }).code, message: (error as Error).message };
    }
  }

  beforeAll(async () => {
    server = await startTestServer();
    a = await server.newWorkspace();
    b = await server.newWorkspace();
    const owner = server.orm.em.getConnection();
    const now = new Date().toISOString();
    // rows of B in several tables, written by the owner (a superuser here: not subject to the policies)
    const tagId = randomUUID();
    const teamId = randomUUID();
    await owner.execute('insert into tag (id, workspace_id, created_at, updated_at, name, normalized_name) values (?, ?, ?, ?, ?, ?)', [
      tagId,
      b.id,
      now,
      now,
      'B tag',
      'b tag',
    ]);
    await owner.execute('insert into team (id, workspace_id, created_at, updated_at, name) values (?, ?, ?, ?, ?)', [
      teamId,
      b.id,
      now,
      now,
      'B team',
    ]);
    await owner.execute('insert into team_member (id, workspace_id, created_at, updated_at, team_id, user_id) values (?, ?, ?, ?, ?, ?)', [
      randomUUID(),
      b.id,
      now,
      now,
      teamId,
      b.userId,
    ]);
    await owner.execute(
      `insert into contact (id, workspace_id, created_at, updated_at, first_name, emails, phones, custom_fields) values (?, ?, ?, ?, 'Bea', '[]', '[]', '{}')`,
      [randomUUID(), b.id, now, now],
    );
    await owner.execute(
      `insert into company (id, workspace_id, created_at, updated_at, name, domains, phones, custom_fields) values (?, ?, ?, ?, 'B Corp', '{}', '[]', '{}')`,
      [randomUUID(), b.id, now, now],
    );
    await owner.execute(
      `insert into custom_role (id, workspace_id, created_at, updated_at, name, grants) values (?, ?, ?, ?, 'B role', '{}')`,
      [randomUUID(), b.id, now, now],
    );
    await owner.execute(`insert into audit_log (id, workspace_id, action) values (?, ?, 'test.seeded')`, [randomUUID(), b.id]);
    await owner.execute(`insert into audit_log (id, workspace_id, action) values (?, ?, 'test.seeded')`, [randomUUID(), a.id]);
    tenantTables = (
      await owner.execute<{ table_name: string }[]>(
        `select c.table_name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
          where c.column_name = 'workspace_id' and c.table_schema = current_schema() and t.table_type = 'BASE TABLE' order by 1`,
      )
    ).map((r) => r.table_name);
    app = new pg.Client({ connectionString: appRoleUrl(url!) });
    await app.connect();
  });

  afterAll(async () => {
    await app?.end();
    await server?.close();
  });

  it('serves the API through a role that owns nothing and is neither superuser nor BYPASSRLS', async () => {
    const facts = await roleFacts(server.appOrm);
    expect(facts).toEqual({ role: APP_ROLE, superuser: false, bypassRls: false, ownedRelations: 0 });
    const { rows } = await app.query(
      `select current_user as role, r.rolsuper, r.rolbypassrls from pg_roles r where r.rolname = current_user`,
    );
    expect(rows[0]).toEqual({ role: APP_ROLE, rolsuper: false, rolbypassrls: false });
    const owned = await server.orm.em
      .getConnection()
      .execute(`select tablename from pg_tables where schemaname = current_schema() and tableowner = ?`, [APP_ROLE]);
    expect(owned).toEqual([]);
  });

  it('puts every table with a workspace_id column under enabled and forced row-level security with a policy', async () => {
    expect(tenantTables).toEqual(expect.arrayContaining(['contact', 'company', 'activity', 'membership', 'audit_log']));
    const rows = await server.orm.em.getConnection().execute<{ table: string; rls: boolean; forced: boolean; policies: number }[]>(
      `select c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
              (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
         from pg_class c where c.relnamespace = (select oid from pg_namespace where nspname = current_schema()) and c.relname in (?)`,
      [tenantTables],
    );
    const unprotected = rows.filter((r) => !r.rls || !r.forced || r.policies === 0).map((r) => r.table);
    expect(unprotected).toEqual([]);
    expect(rows).toHaveLength(tenantTables.length);
  });

  it("shows another workspace's rows in no tenant table, though they are there", async () => {
    const seenFromA = await asApp({ workspaceId: a.id }, async (q) => {
      const counts: Record<string, number> = {};
      for (const table of tenantTables)
        counts[table] = Number((await q(`select count(*)::int as n from "${table}" where workspace_id = $1`, [b.id]))[0].n);
      return counts;
    });
    expect(seenFromA).toEqual(Object.fromEntries(tenantTables.map((t) => [t, 0])));
    // the same statements in B's context do see them: the zeros above are the policies' doing
    const seenFromB = await asApp({ workspaceId: b.id }, async (q) => {
      const counts: Record<string, number> = {};
      for (const table of populatedInB)
        counts[table] = Number((await q(`select count(*)::int as n from "${table}" where workspace_id = $1`, [b.id]))[0].n);
      return counts;
    });
    for (const table of populatedInB) expect([table, seenFromB[table]]).toEqual([table, expect.any(Number)]);
    expect(Object.entries(seenFromB).filter(([, n]) => n === 0)).toEqual([]);
    const ownerCount = await server.count('contact', b.id);
    expect(ownerCount).toBe(seenFromB.contact);
  });

  it('shows nothing without a workspace, also on a connection that had one in an earlier transaction', async () => {
    const anonymous = async () => {
      const counts: Record<string, number> = {};
      // (audit rows without a workspace — failed sign-ins — are readable only outside a workspace: not tenant rows)
      for (const table of tenantTables)
        counts[table] = Number((await app.query(`select count(*)::int as n from "${table}" where workspace_id is not null`)).rows[0].n);
      return counts;
    };
    const none = Object.fromEntries(tenantTables.map((t) => [t, 0]));
    // a fresh session: the settings were never defined
    const fresh = new pg.Client({ connectionString: appRoleUrl(url!) });
    await fresh.connect();
    try {
      const { rows } = await fresh.query(`select count(*)::int as n from contact`);
      expect(rows[0].n).toBe(0);
    } finally {
      await fresh.end();
    }
    // after a transaction-local setting ended, the setting reads '' (not null): still nothing, and no cast error
    await asApp({ workspaceId: b.id }, (q) => q('select 1'));
    expect(await anonymous()).toEqual(none);
    expect(await asApp({}, async () => anonymous())).toEqual(none);
  });

  it('refuses to insert a row into another workspace, or to move a row there; updates and deletes of its rows touch nothing', async () => {
    const now = new Date().toISOString();
    const insert = await failure(
      { workspaceId: a.id },
      'insert into tag (id, workspace_id, created_at, updated_at, name, normalized_name) values ($1, $2, $3, $3, $4, $4)',
      [randomUUID(), b.id, now, 'sneaky'],
    );
    expect(insert).toEqual({ code: '42501', message: expect.stringContaining('row-level security') });
    const noContext = await failure(
      null,
      'insert into tag (id, workspace_id, created_at, updated_at, name, normalized_name) values ($1, $2, $3, $3, $4, $4)',
      [randomUUID(), a.id, now, 'nobody'],
    );
    expect(noContext?.code).toBe('42501');

    await asApp({ workspaceId: a.id }, async (q) => {
      await q('insert into tag (id, workspace_id, created_at, updated_at, name, normalized_name) values ($1, $2, $3, $3, $4, $4)', [
        randomUUID(),
        a.id,
        now,
        'mine',
      ]);
      // moving A's row to B violates WITH CHECK
      await expect(q('update tag set workspace_id = $1 where workspace_id = $2', [b.id, a.id])).rejects.toMatchObject({ code: '42501' });
    });
    const touched = await asApp({ workspaceId: a.id }, async () => {
      const updated = await app.query('update tag set name = $1 where workspace_id = $2', ['renamed', b.id]);
      const deleted = await app.query('delete from contact where workspace_id = $1', [b.id]);
      return { updated: updated.rowCount, deleted: deleted.rowCount };
    });
    expect(touched).toEqual({ updated: 0, deleted: 0 });
    const tags = await server.orm.em.getConnection().execute<{ name: string }[]>('select name from tag where workspace_id = ?', [b.id]);
    expect(tags.map((t) => t.name)).toEqual(['B tag']);
    expect(await server.count('tag', a.id)).toBe(0);
  });

  it('lets the audit log be appended to (also without a workspace) but never updated or deleted by the API role', async () => {
    const update = await failure({ workspaceId: a.id }, `update audit_log set action = 'forged' where workspace_id = $1`, [a.id]);
    expect(update?.code).toBe('42501');
    const del = await failure({ workspaceId: a.id }, `delete from audit_log where workspace_id = $1`, [a.id]);
    expect(del?.code).toBe('42501');
    const truncate = await failure({ workspaceId: a.id }, `truncate audit_log`);
    expect(truncate?.code).toBe('42501');
    // a failed sign-in has no workspace; inserting into another workspace is refused
    expect(
      await failure(null, `insert into audit_log (id, workspace_id, action) values ($1, null, 'auth.loginFailed') returning id`, [
        randomUUID(),
      ]),
    ).toBeNull();
    expect(
      (await failure({ workspaceId: a.id }, `insert into audit_log (id, workspace_id, action) values ($1, $2, 'x')`, [randomUUID(), b.id]))
        ?.code,
    ).toBe('42501');
    const visible = await asApp({ workspaceId: a.id }, (q) => q(`select workspace_id from audit_log`));
    expect(visible.length).toBeGreaterThan(0);
    expect(visible.every((r) => r.workspace_id === a.id)).toBe(true);
  });

  it("lets a signed-in user read their own memberships in other workspaces, and no one else's", async () => {
    const rows = await asApp({ workspaceId: a.id, userId: b.userId }, (q) => q('select workspace_id, user_id from membership'));
    const foreign = rows.filter((r) => r.workspace_id !== a.id);
    expect(foreign).toEqual([{ workspace_id: b.id, user_id: b.userId }]);
    const strangers = await asApp({ userId: NIL }, (q) => q('select * from membership'));
    expect(strangers).toEqual([]);
    // readable is not writable: the user cannot change that membership from another workspace's session
    const changed = await asApp(
      { workspaceId: a.id, userId: b.userId },
      async () => (await app.query(`update membership set role = 'OWNER' where workspace_id = $1`, [b.id])).rowCount,
    );
    expect(changed).toBe(0);
  });

  it('serves GraphQL requests as the application role, isolated by the session', async () => {
    const created = await a.ok(`mutation { createTag(input: { name: "From A" }) { tag { id name } userErrors { field } } }`);
    expect(created.createTag.userErrors).toEqual([]);
    const listedByB = await b.ok(`{ tags { name } }`).catch(() => null);
    if (listedByB) expect(JSON.stringify(listedByB)).not.toContain('From A');
    expect(await server.count('tag', a.id)).toBe(1);
  });

  it('keeps the search and jsonb indexes usable under the policies (leakproof operators)', async () => {
    // without it the planner must run the policy's condition first and scans whole tables (measured: search 15 → 100 ms)
    await asApp({ workspaceId: a.id }, async (q) => {
      const leakproof = await q(
        `select proname from pg_proc where proname in ('textlike', 'word_similarity_op', 'jsonb_contains') and proleakproof`,
      );
      expect(leakproof.map((r: { proname: string }) => r.proname).sort()).toEqual(['jsonb_contains', 'textlike', 'word_similarity_op']);
    });
  });
});
