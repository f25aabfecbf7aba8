import pg from 'pg';
import { seedDemoIfEmpty, DEMO_OWNER_EMAIL, DEMO_PASSWORD, DEMO_SIZES } from '../../src/seed/demo.js';
import { databaseUrl, startTestServer, type GraphQLResponse, type TestServer } from '../support/harness.js';

/**
 * The demo seed only runs on an empty database, so on PostgreSQL this file uses a database of its own
 * (the shared test database holds other files' workspaces).
 */
let server: TestServer;
let seeded: Record<string, number> | null;
let ownDatabase: URL | null = null;

beforeAll(async () => {
  const shared = databaseUrl();
  if (shared) {
    ownDatabase = new URL(shared);
    ownDatabase.pathname = `${ownDatabase.pathname}_demo_seed`;
    await admin(
      shared,
      `drop database if exists "${ownDatabase.pathname.slice(1)}" with (force)`,
      `create database "${ownDatabase.pathname.slice(1)}"`,
    );
    process.env.TEST_DATABASE_URL = ownDatabase.toString();
  }
  try {
    server = await startTestServer();
  } finally {
    if (shared) process.env.TEST_DATABASE_URL = shared;
  }
  seeded = await seedDemoIfEmpty(server.orm);
  // the README's sign-in: the demo owner with the demo password
  const signIn = await server.gql(`mutation($i: SignInInput!) { signIn(input: $i) { accessToken } }`, {
    i: { email: DEMO_OWNER_EMAIL, password: DEMO_PASSWORD },
  });
  if (signIn.errors?.length) throw new Error(JSON.stringify(signIn.errors));
  demo = { authorization: `Bearer ${signIn.data.signIn.accessToken}` };
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (ownDatabase) await admin(databaseUrl()!, `drop database if exists "${ownDatabase.pathname.slice(1)}" with (force)`);
});

async function admin(url: string, ...statements: string[]) {
  const target = new URL(url);
  target.pathname = '/postgres';
  const client = new pg.Client({ connectionString: target.toString() });
  await client.connect();
  try {
    for (const s of statements) await client.query(s);
  } finally {
    await client.end();
  }
}

let demo: Record<string, string>;
async function ok<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const res: GraphQLResponse<T> = await server.gql(query, variables, demo);
  if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors, null, 2)}`);
  return res.data!;
}

const scalar = async (sql: string, params: unknown[] = []) =>
  Number((await server.orm.em.getConnection().execute<{ n: number }[]>(sql, params))[0]!.n);

describe('demo seed', () => {
  it('fills an empty database with the demo workspace and reports what it wrote', async () => {
    expect(seeded).not.toBeNull();
    expect(seeded).toMatchObject({
      workspaces: 1,
      users: 8,
      memberships: 8,
      tags: 12,
      customFields: 6,
      companies: DEMO_SIZES.companies,
      contacts: DEMO_SIZES.contacts,
      activities: DEMO_SIZES.activities,
      timelineLinks: 2 * DEMO_SIZES.activities,
    });
    const ws = await server.orm.em
      .getConnection()
      .execute<{ id: string; name: string; default_currency: string }[]>(
        "select id, name, default_currency from workspace where slug = 'demo'",
      );
    expect(ws).toEqual([expect.objectContaining({ name: 'Demo Inc', default_currency: 'USD' })]);
    const wsId = ws[0]!.id;
    for (const [table, n] of [
      ['company', seeded!.companies],
      ['contact', seeded!.contacts],
      ['activity', seeded!.activities],
      ['timeline_link', seeded!.timelineLinks],
      ['comment', seeded!.comments],
      ['team', seeded!.teams],
      ['tag', 12],
      ['custom_field_definition', 6],
      ['membership', 8],
    ] as const) {
      expect([table, await server.count(table, wsId)]).toEqual([table, n]);
    }
    expect(seeded!.comments).toBeGreaterThan(0);
    expect(seeded!.teams).toBeGreaterThanOrEqual(2);
    expect(
      await scalar(
        "select count(*)::int as n from membership m join app_user u on u.id = m.user_id where u.email = ? and m.role = 'OWNER'",
        [DEMO_OWNER_EMAIL],
      ),
    ).toBe(1);
  });

  it('writes complete rows: search text, primary email and domain, version 1, emails on the company domain', async () => {
    expect(
      await scalar(
        "select count(*)::int as n from company where search_text = '' or primary_domain is null or version <> 1 or primary_domain <> domains[1]",
      ),
    ).toBe(0);
    expect(await scalar("select count(*)::int as n from contact where search_text = '' or primary_email is null or version <> 1")).toBe(0);
    expect(
      await scalar(
        "select count(*)::int as n from contact c join company co on co.id = c.company_id where split_part(c.primary_email, '@', 2) <> co.primary_domain",
      ),
    ).toBe(0);
    expect(await scalar('select count(distinct primary_email)::int as n from contact')).toBe(DEMO_SIZES.contacts);
    // every activity is on its contact's and its company's timeline, with the entry's type and time copied
    expect(
      await scalar(`select count(*)::int as n from activity a where 2 <> (select count(*) from timeline_link l where l.entry_id = a.id
      and l.entry_kind = 'activity' and l.entry_type = a.type::text and l.occurred_at = a.occurred_at)`),
    ).toBe(0);
    expect(
      await scalar("select count(*)::int as n from activity where occurred_at < now() - interval '366 days' or occurred_at > now()"),
    ).toBe(0);
    expect(
      await scalar(
        "select count(*)::int as n from activity where type = 'TASK' and (due_at is null or priority is null or assignee_id is null)",
      ),
    ).toBe(0);
    expect(await scalar("select count(*)::int as n from activity where type = 'TASK' and completed_at is not null")).toBeGreaterThan(0);
    expect(await scalar("select count(distinct custom_fields->>'tier')::int as n from company")).toBe(3);
  });

  it('is a no-op once a workspace exists', async () => {
    expect(await seedDemoIfEmpty(server.orm)).toBeNull();
    expect(await scalar('select count(*)::int as n from company')).toBe(DEMO_SIZES.companies);
  });

  it('serves the demo data through GraphQL: companies, contacts with company and activities, timelines', async () => {
    const { companies } = await ok(`{ companies(first: 5) { totalCount nodes { id name primaryDomain owner { name } } } }`);
    expect(companies.totalCount).toBe(DEMO_SIZES.companies);
    expect(companies.nodes).toHaveLength(5);
    expect(companies.nodes[0]).toMatchObject({
      name: expect.any(String),
      primaryDomain: expect.stringContaining('.'),
      owner: { name: expect.any(String) },
    });

    const { contacts } = await ok(
      `{ contacts(first: 5) { totalCount nodes { id name primaryEmail company { name primaryDomain } activities(first: 3) { nodes { subject occurredAt } } } } }`,
    );
    expect(contacts.totalCount).toBe(DEMO_SIZES.contacts);
    expect(contacts.nodes).toHaveLength(5);
    for (const c of contacts.nodes) expect(c.primaryEmail.endsWith(`@${c.company.primaryDomain}`)).toBe(true);

    const withActivities = contacts.nodes.find((c: any) => c.activities.nodes.length > 0) ?? contacts.nodes[0];
    const { timeline } = await ok(
      `query($id: ID!) { timeline(targetId: $id, first: 20) { totalCount edges { node { ... on Activity { subject type occurredAt } } } } }`,
      { id: withActivities.id },
    );
    const expected = await scalar(
      "select count(*)::int as n from timeline_link where target_type = 'Contact' and target_id = (select id from contact where primary_email = ?)",
      [withActivities.primaryEmail],
    );
    expect(timeline.totalCount).toBe(expected);
    expect(timeline.edges.length).toBe(Math.min(20, expected));
    const times = timeline.edges.map((e: any) => Date.parse(e.node.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const { search } = await ok(
      `query($q: String!) { search(query: $q, first: 5) { score node { id ... on Contact { name } ... on Company { name } } } }`,
      { q: withActivities.name },
    );
    expect(search.map((h: any) => h.node.id)).toContain(withActivities.id);
  });
});
