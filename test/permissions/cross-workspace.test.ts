import { randomUUID } from 'node:crypto';
import {
  getNamedType, isAbstractType, isEnumType, isInputObjectType, isLeafType, isListType, isNonNullType, isObjectType,
  type GraphQLAbstractType, type GraphQLInputType, type GraphQLObjectType, type GraphQLSchema,
} from 'graphql';
import { startTestServer, databaseUrl, type TestServer, type TestWorkspace } from '../support/harness.js';
import { parseGlobalId, toGlobalId } from '../../src/graphql/global-id.js';
import { MembershipRole } from '../../src/core/identity/membership.entity.js';

/**
 * Workspace A's admin (every permission) calls every root operation of the schema with workspace B's ids in
 * every ID argument and input field, and B's marker in query strings. Nothing of B may come back, and B's rows
 * must be byte-for-byte unchanged. On PostgreSQL the API connects as a role under row-level security.
 */
const marker = `zqx${randomUUID().slice(0, 8)}`;

function containsId(type: GraphQLInputType, depth = 0): boolean {
  const named = getNamedType(type);
  if (named.name === 'ID') return true;
  if (!isInputObjectType(named) || depth > 3) return false;
  return Object.values(named.getFields()).some((f) => containsId(f.type, depth + 1));
}

/** Fills required fields (shape only) and every field that can carry an id, with B's id and B's marker. */
function fill(type: GraphQLInputType, id: string, text: string, depth = 0): unknown {
  if (isNonNullType(type)) return fill(type.ofType, id, text, depth);
  if (isListType(type)) return [fill(type.ofType, id, text, depth)];
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (required || (depth < 3 && containsId(field.type)) || ['query', 'search'].includes(field.name)) value[field.name] = fill(field.type, id, text, depth + 1);
    }
    return value;
  }
  switch (getNamedType(type).name) {
    case 'ID': return id;
    case 'Int': case 'Float': return 1;
    case 'Boolean': return false;
    case 'DateTimeISO': case 'DateTime': return '2026-01-01T00:00:00.000Z';
    case 'JSON': case 'JSONObject': return {};
    default: return text;
  }
}

function operation(schema: GraphQLSchema, root: 'Query' | 'Mutation', name: string, id: string) {
  const field = (schema.getType(root) as GraphQLObjectType).getFields()[name]!;
  const args = field.args.filter((a) => (isNonNullType(a.type) && a.defaultValue === undefined) || containsId(a.type) || ['query', 'search'].includes(a.name));
  const text = root === 'Query' ? marker : 'x';
  const named = getNamedType(field.type);
  const selection = isLeafType(named) ? '' : isObjectType(named) ? ` ${deepSelection(schema, named, 2)}` : isAbstractType(named) ? ` ${abstractSelection(schema, named, 1)}` : '';
  return {
    query: `${root === 'Query' ? 'query' : 'mutation'} Probe${args.length ? `(${args.map((a) => `$${a.name}: ${a.type}`).join(', ')})` : ''} { ${name}${args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : ''}${selection} }`,
    variables: Object.fromEntries(args.map((a) => [a.name, fill(a.type, id, text)])),
  };
}

/**
 * Scalar fields and, a few levels down, object fields without required arguments; abstract types (Node,
 * TimelineEntry) expand into every possible type, with aliases so that fields of different types never clash.
 */
function deepSelection(schema: GraphQLSchema, type: GraphQLObjectType, depth: number, clashing: ReadonlySet<string> = new Set()): string {
  const parts: string[] = ['__typename'];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const named = getNamedType(field.type);
    const name = clashing.has(field.name) ? `${type.name}_${field.name}: ${field.name}` : field.name;
    if (isLeafType(named)) parts.push(name);
    else if (depth > 0 && isObjectType(named)) parts.push(`${name} ${deepSelection(schema, named, depth - 1)}`);
    else if (depth > 0 && isAbstractType(named)) parts.push(`${name} ${abstractSelection(schema, named, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

function abstractSelection(schema: GraphQLSchema, type: GraphQLAbstractType, depth: number): string {
  const possible = schema.getPossibleTypes(type);
  const signatures = new Map<string, Set<string>>();
  for (const t of possible) for (const f of Object.values(t.getFields())) (signatures.get(f.name) ?? signatures.set(f.name, new Set()).get(f.name)!).add(String(f.type));
  const clashing = new Set([...signatures].filter(([, types]) => types.size > 1).map(([name]) => name));
  return `{ __typename ${possible.map((t) => `... on ${t.name} ${deepSelection(schema, t, depth, clashing)}`).join(' ')} }`;
}

/** Everything without `message` texts (an error may echo the id it was given; that reveals nothing). */
function withoutMessages(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMessages);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'message').map(([k, v]) => [k, withoutMessages(v)]));
  return value;
}

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
      i: { name: `Victim Co ${marker}`, domains: [`${marker}.example`], annualRevenue: { amount: 100000, currency: 'EUR' }, phones: [{ number: '+33 1 23 45 67 89' }] },
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
    const comment = await victim.ok(`mutation($i: AddCommentInput!) { addComment(input: $i) { comment { id } } }`, { i: { activityId, body: `Comment ${marker}` } });
    const tag = await victim.ok(`mutation($i: CreateTagInput!) { createTag(input: $i) { tag { id } } }`, { i: { name: `tag-${marker}` } });
    const field = await victim.ok(`mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { customField { id } } }`, {
      i: { key: `f${marker}`, label: `Field ${marker}`, objectType: 'Contact', type: 'TEXT' },
    });
    const job = await victim.ok(`mutation($i: ImportCsvInput!) { importCsv(input: $i) { job { id } } }`, {
      i: { objectType: 'CONTACTS', csv: `firstName,lastName,email\nImported,${marker},imp-${marker}@victim.example\n` },
    });
    victimIds.push(
      companyId, contactId, activityId, comment.addComment.comment.id, tag.createTag.tag.id, field.createCustomField.customField.id,
      job.importCsv.job.id, toGlobalId('User', member.id), toGlobalId('User', victim.userId), toGlobalId('Workspace', victim.id),
    );
  });
  afterAll(() => server.close());

  it('leaks nothing through any operation given the other workspace’s ids, and changes none of its rows', async () => {
    const before = await victimSnapshot();
    const schema = server.app.schema;
    // control: the same probes sent by the victim itself do reveal its data
    for (const [name, id] of [['node', victimIds[1]!], ['contact', victimIds[1]!], ['timeline', victimIds[1]!]] as const) {
      const { query, variables } = operation(schema, 'Query', name, id);
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
      {
        for (const id of takesIds ? victimIds : victimIds.slice(0, 1)) {
          const { query, variables } = operation(schema, root, name, id);
          const response = await server.gql(query, variables, walker);
          calls++;
          const body = JSON.stringify(response);
          if (body.toLowerCase().includes(marker)) leaks.push(`${root}.${name}(${id}): marker in response ${body.slice(0, 300)}`);
          const data = JSON.stringify(withoutMessages(response));
          for (const [i, raw] of rawIds.entries()) {
            if (raw === parseGlobalId(id)!.id) continue;
            if (data.includes(raw) || data.includes(victimIds[i]!)) leaks.push(`${root}.${name}(${id}): id ${victimIds[i]} in response`);
          }
          if (response.errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) leaks.push(`${root}.${name}(${id}): internal error`);
          // a probe refused before execution (validation, limits) would test nothing
          if (!('data' in response)) leaks.push(`${root}.${name}(${id}): not executed: ${response.errors?.[0]?.message}`);
        }
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
    expect((await victim.ok(searchOp, { q: marker })).search.map((h: { node: { id: string } }) => h.node.id)).toEqual(expect.arrayContaining([victimIds[0], victimIds[1]]));
    const contacts = await attacker.ok(`query($c: ID!) { contacts(first: 50, filter: { company: { eq: $c } }) { totalCount } }`, { c: victimIds[0] });
    expect(contacts.contacts.totalCount).toBe(0);
    for (const file of ['contacts.csv', 'companies.csv', 'activities.csv']) {
      const response = await server.app.http.inject({ method: 'GET', url: `/exports/${file}`, headers: attacker.headers });
      expect(response.statusCode).toBe(200);
      expect(response.body.toLowerCase()).not.toContain(marker);
    }
    const filtered = await server.app.http.inject({
      method: 'GET', url: `/exports/contacts.csv?filter=${encodeURIComponent(JSON.stringify({ company: { eq: victimIds[0] } }))}`, headers: attacker.headers,
    });
    expect(filtered.body.trim().split('\n')).toHaveLength(1);
  });

  it('refuses to link the other workspace’s records from one’s own (NOT_FOUND, nothing written)', async () => {
    const before = await server.count('contact', attacker.id);
    const result = await attacker.ok(`mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } userErrors { field code } } }`, {
      i: { firstName: 'Linker', companyId: victimIds[0], ownerId: toGlobalId('User', victim.userId), tagIds: [victimIds[4]] },
    });
    expect(result.createContact.contact).toBeNull();
    expect(result.createContact.userErrors.map((e: { code: string }) => e.code)).toContain('NOT_FOUND');
    expect(await server.count('contact', attacker.id)).toBe(before);
  });
});
