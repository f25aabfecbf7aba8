import { randomUUID } from 'node:crypto';
import type { GraphQLObjectType } from 'graphql';
import { startTestServer, databaseUrl, type TestServer, type TestWorkspace } from '../support/harness.js';
import { parseGlobalId, toGlobalId } from '../../src/graphql/global-id.js';
import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { containsId, operation, withoutMessages } from '../support/schema-walks.js';

/**
 * Workspace A's admin (every permission) calls every root operation of the schema with workspace B's ids in
 * every ID argument and input field, and B's marker in query strings. Nothing of B may come back, and B's rows
 * must be byte-for-byte unchanged. On PostgreSQL the API connects as a role under row-level security.
 */
const marker = `zqx${randomUUID().slice(0, 8)}`;

describe(`cross-workspace isolation (${databaseUrl() ? 'PostgreSQL, row-level security' : 'PGlite'})`, () => {
  let server: TestServer;
  let attacker: TestWorkspace;
  let victim: TestWorkspace;
  const victimIds: string[] = [];
  /** An admin of the attacking workspace for the walk over every operation (it ends its own session on the way). */
  let walker: Record<string, string>;

  async function victimSnapshot(): Promise<Record<string, string>> {
    const em = server.orm.em.fork();
    return em.transactional(async (tx) => {
      await tx.execute("select set_config('app.workspace_id', ?, true)", [victim.id]);
      const tables = await tx.execute<{ table_name: string }[]>(
        "select table_name from information_schema.columns where column_name = 'workspace_id' and table_schema = current_schema() order by table_name",
      );
      const snapshot: Record<string, string> = {};
      for (const { table_name } of tables) {
        const rows = await tx.execute<{ digest: string | null; n: number }[]>(
          `select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest, count(*)::int as n from "${table_name}" t where workspace_id = ?`,
          [victim.id],
        );
        snapshot[table_name] = `${rows[0]!.n}:${rows[0]!.digest}`;
      }
      return snapshot;
    });
  }

  beforeAll(async () => {
    server = await startTestServer();
    attacker = await server.newWorkspace();
    victim = await server.newWorkspace();
    walker = (await attacker.addMember('Walker Admin', MembershipRole.ADMIN)).headers;
    const member = await victim.addMember(`Victim ${marker}`, MembershipRole.SALES);
    const company = await victim.ok(`mutation($i: CreateCompanyInput!) { createCompany(input: $i) { company { id } } }`, {
      i: {
        name: `Victim Co ${marker}`,
        domains: [`${marker}.example`],
        annualRevenue: { amount: 100000, currency: 'EUR' },
        phones: [{ number: '+33 1 23 45 67 89' }],
      },
    });
    const companyId = company.createCompany.company.id;
    const contact = await victim.ok(`mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } } }`, {
      i: { firstName: 'Victim', lastName: marker, emails: [{ email: `${marker}@victim.example` }], companyId },
    });
    const contactId = contact.createContact.contact.id;
    const activity = await victim.ok(`mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } } }`, {
      i: { type: 'TASK', subject: `Task ${marker}`, targetIds: [contactId, companyId], assigneeId: toGlobalId('User', member.id) },
    });
    const activityId = activity.logActivity.activity.id;
    const comment = await victim.ok(`mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id } } }`, {
      i: { activityId, body: `Comment ${marker}` },
    });
    const tag = await victim.ok(`mutation($i: CreateTagInput!) { createTag(input: $i) { tag { id } } }`, { i: { name: `tag-${marker}` } });
    const field = await victim.ok(`mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { customField { id } } }`, {
      i: { key: `f${marker}`, label: `Field ${marker}`, objectType: 'Contact', type: 'TEXT' },
    });
    const job = await victim.ok(`mutation($i: ImportCsvInput!) { importCsv(input: $i) { job { id } } }`, {
      i: { objectType: 'CONTACTS', csv: `firstName,lastName,email\nImported,${marker},imp-${marker}@victim.example\n` },
    });
    const hook = await victim.ok(
      `mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } userErrors { message } } }`,
      { i: { url: `https://hooks.example.com/${marker}`, description: `Hook ${marker}`, eventTypes: ['*'] } },
    );
    victimIds.push(
      companyId,
      contactId,
      activityId,
      comment.addComment.comment.id,
      tag.createTag.tag.id,
      field.createCustomField.customField.id,
      job.importCsv.job.id,
      toGlobalId('User', member.id),
      toGlobalId('User', victim.userId),
      toGlobalId('Workspace', victim.id),
      hook.createWebhookEndpoint.endpoint.id,
    );
  });
  afterAll(() => server.close());

  it('leaks nothing through any operation given the other workspace’s ids, and changes none of its rows', async () => {
    const before = await victimSnapshot();
    const schema = server.app.schema;
    // control: the same probes sent by the victim itself do reveal its data
    for (const [name, id] of [
      ['node', victimIds[1]!],
      ['contact', victimIds[1]!],
      ['timeline', victimIds[1]!],
    ] as const) {
      const { query, variables } = operation(schema, 'Query', name, id, marker);
      expect(JSON.stringify(await victim.gql(query, variables)).toLowerCase()).toContain(marker);
    }
    const rawIds = victimIds.map((gid) => parseGlobalId(gid)!.id);
    const leaks: string[] = [];
    let calls = 0;
    // ending the walker's own session goes last, or the rest of the walk would test nothing
    const last = ['changePassword', 'signOut'];
    const operations = (['Query', 'Mutation'] as const)
      .flatMap((root) => Object.keys((schema.getType(root) as GraphQLObjectType).getFields()).map((name) => [root, name] as const))
      .sort(([, a], [, b]) => last.indexOf(a) - last.indexOf(b));
    for (const [root, name] of operations) {
      const takesIds = (schema.getType(root) as GraphQLObjectType).getFields()[name]!.args.some((a) => containsId(a.type));
      for (const id of takesIds ? victimIds : victimIds.slice(0, 1)) {
        const { query, variables } = operation(schema, root, name, id, marker);
        const response = await server.gql(query, variables, walker);
        calls++;
        const body = JSON.stringify(response);
        if (body.toLowerCase().includes(marker)) leaks.push(`${root}.${name}(${id}): marker in response ${body.slice(0, 300)}`);
        const data = JSON.stringify(withoutMessages(response));
        for (const [i, raw] of rawIds.entries()) {
          if (raw === parseGlobalId(id)!.id) continue;
          if (data.includes(raw) || data.includes(victimIds[i]!)) leaks.push(`${root}.${name}(${id}): id ${victimIds[i]} in response`);
        }
        if (response.errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR'))
          leaks.push(`${root}.${name}(${id}): internal error`);
        // a probe refused before execution (validation, limits) would test nothing
        if (!('data' in response)) leaks.push(`${root}.${name}(${id}): not executed: ${response.errors?.[0]?.message}`);
      }
    }
    expect(calls).toBeGreaterThan(500);
    expect(leaks).toEqual([]);
    expect(await victimSnapshot()).toEqual(before);
  });

  it('finds nothing of the other workspace through node(id:), search, filters, timeline and CSV export', async () => {
    for (const id of victimIds) {
      const { node } = await attacker.ok(`query($id: ID!) { node(id: $id) { id } }`, { id });
      expect(node).toBeNull();
    }
    const searchOp = `query($q: String!) { search(query: $q, first: 20) { node { __typename id } } }`;
    expect((await attacker.ok(searchOp, { q: marker })).search).toEqual([]);
    // the same search in the victim's workspace finds its records: the probe would see a leak
    expect((await victim.ok(searchOp, { q: marker })).search.map((h: { node: { id: string } }) => h.node.id)).toEqual(
      expect.arrayContaining([victimIds[0], victimIds[1]]),
    );
    const contacts = await attacker.ok(`query($c: ID!) { contacts(first: 50, filter: { company: { eq: $c } }) { totalCount } }`, {
      c: victimIds[0],
    });
    expect(contacts.contacts.totalCount).toBe(0);
    for (const file of ['contacts.csv', 'companies.csv', 'activities.csv']) {
      const response = await server.app.http.inject({ method: 'GET', url: `/exports/${file}`, headers: attacker.headers });
      expect(response.statusCode).toBe(200);
      expect(response.body.toLowerCase()).not.toContain(marker);
    }
    const filtered = await server.app.http.inject({
      method: 'GET',
      url: `/exports/contacts.csv?filter=${encodeURIComponent(JSON.stringify({ company: { eq: victimIds[0] } }))}`,
      headers: attacker.headers,
    });
    expect(filtered.body.trim().split('\n')).toHaveLength(1);
  });

  it('refuses to link the other workspace’s records from one’s own (NOT_FOUND, nothing written)', async () => {
    const before = await server.count('contact', attacker.id);
    const result = await attacker.ok(
      `mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } userErrors { field code } } }`,
      {
        i: { firstName: 'Linker', companyId: victimIds[0], ownerId: toGlobalId('User', victim.userId), tagIds: [victimIds[4]] },
      },
    );
    expect(result.createContact.contact).toBeNull();
    expect(result.createContact.userErrors.map((e: { code: string }) => e.code)).toContain('NOT_FOUND');
    expect(await server.count('contact', attacker.id)).toBe(before);
  });
});
