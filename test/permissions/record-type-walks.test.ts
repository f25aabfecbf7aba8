import { randomUUID } from 'node:crypto';
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import { toGlobalId } from '../../src/sdk/index.js';
import { startPluginServer, type GraphQLClient, type PluginTestServer, type PluginTestWorkspace } from '../../src/sdk/testing.js';
import { parseGlobalId } from '../../src/graphql/global-id.js';
import gadgetsPlugin from '../fixtures/plugins/record-type/gadgets/plugin.js';
import { operation, operationFor, rootOperations, withoutMessages } from '../support/schema-walks.js';

/**
 * A plugin's record type (test/fixtures/plugins/record-type/gadgets: one declaration of filters, sorts, scope, tags
 * and custom fields) under the same generic walks as the kernel: every operation it adds, for every built-in role,
 * with the expectation read off its own rules and permission grants; and every operation given another workspace's
 * ids. Nothing here is written per operation.
 */
const ROLES = ['OWNER', 'ADMIN', 'MANAGER', 'SALES', 'SUPPORT', 'MARKETING', 'READ_ONLY'] as const;
type Role = (typeof ROLES)[number];
const marker = `zqx${randomUUID().slice(0, 8)}`;

const permissions = new Map((gadgetsPlugin.permissions ?? []).map((p) => [p.name, p]));
/** The scope a built-in role holds of a plugin permission: Owner and Admin hold every permission with ALL. */
function grant(role: Role, permission: string): 'OWN' | 'TEAM' | 'ALL' | null {
  if (role === 'OWNER' || role === 'ADMIN') return 'ALL';
  return permissions.get(permission)?.roleGrants?.[role] ?? null;
}
/** The permission a declared rule requires (`requires('gadget:read')` is named `requires:gadget:read`). */
function requiredPermission(root: 'Query' | 'Mutation', field: string): string {
  const rule = gadgetsPlugin.rules?.[root]?.[field] as { name?: string } | undefined;
  const name = rule?.name ?? '';
  if (!name.startsWith('requires:')) throw new Error(`${root}.${field}: no requires() rule declared`);
  return name.slice('requires:'.length);
}

let server: PluginTestServer;
/** The schema a workspace with the fixture enabled is served (the app's own `schema` is the kernel's). */
let schema: GraphQLSchema;
let ws: PluginTestWorkspace;
let victim: PluginTestWorkspace;
const members = new Map<Role, GraphQLClient & { id: string }>();
let strangerGadget: string;
let victimIds: string[];

async function insertGadget(
  workspaceId: string,
  values: { name: string; ownerId: string | null; status?: string; price?: [number, string]; custom?: object },
) {
  const id = randomUUID();
  await server.orm.em.fork().transactional(async (tx: any) => {
    await tx.execute("select set_config('app.workspace_id', ?, true)", [workspaceId]);
    await tx.execute(
      `insert into gadget (id, workspace_id, created_at, updated_at, name, status, owner_id, price_amount, price_currency, custom_fields)
       values (?, ?, now(), now(), ?, ?, ?, ?, ?, ?)`,
      [
        id,
        workspaceId,
        values.name,
        values.status ?? 'draft',
        values.ownerId,
        values.price?.[0] ?? null,
        values.price?.[1] ?? null,
        JSON.stringify(values.custom ?? {}),
      ],
    );
  });
  return toGlobalId('Gadget', id);
}

async function tagGadget(workspaceId: string, gadgetId: string, tagId: string) {
  await server.orm.em.fork().transactional(async (tx: any) => {
    await tx.execute("select set_config('app.workspace_id', ?, true)", [workspaceId]);
    await tx.execute('insert into gadget_tag (workspace_id, gadget_id, tag_id) values (?, ?, ?)', [workspaceId, gadgetId, tagId]);
  });
}

const rawId = (globalId: string) => parseGlobalId(globalId)!.id;

beforeAll(async () => {
  server = await startPluginServer([gadgetsPlugin], { env: { LOG_LEVEL: 'error' } });
  schema = (await server.app.schemas.get([gadgetsPlugin.id])).schema;
  ws = await server.newWorkspace();
  victim = await server.newWorkspace();
  for (const role of ROLES) members.set(role, await ws.addMember(`${role} Member`, role as 'SALES'));
  // a sales rep who shares no team with anyone: only ALL-scoped roles see their gadgets
  const stranger = await ws.addMember('Stranger Sales', 'SALES');
  strangerGadget = await insertGadget(ws.id, { name: 'Stranger gadget', ownerId: stranger.id });

  const victimMember = await victim.addMember(`Victim ${marker}`, 'SALES');
  const gadget = await insertGadget(victim.id, {
    name: `Gadget ${marker}`,
    ownerId: victimMember.id,
    price: [500, 'EUR'],
    custom: { [`f${marker}`]: marker },
  });
  const tag = await victim.ok(`mutation($i: CreateTagInput!) { createTag(input: $i) { tag { id } } }`, { i: { name: `tag-${marker}` } });
  await tagGadget(victim.id, rawId(gadget), rawId(tag.createTag.tag.id));
  victimIds = [gadget, tag.createTag.tag.id, toGlobalId('User', victimMember.id)];
}, 120_000);
afterAll(() => server?.close());

const pluginOperations = () => rootOperations(schema).filter(([root, field]) => gadgetsPlugin.rules?.[root]?.[field] !== undefined);

describe('the fixture record type under the generic walks', () => {
  it('adds a list and a single-record query, both walked', () => {
    expect(
      pluginOperations()
        .map(([root, field]) => `${root}.${field}`)
        .sort(),
    ).toEqual(['Query.gadget', 'Query.gadgets']);
  });

  it('answers each role exactly as its grants of the required permission say', async () => {
    const mismatches: string[] = [];
    for (const [root, field] of pluginOperations()) {
      const permission = requiredPermission(root, field);
      const { query, variables } = operationFor(schema, root, field);
      for (const role of ROLES) {
        const response = await members.get(role)!.gql(query, variables);
        const refusal = response.errors?.find(
          (e: any) => e.path?.[0] === field && ['FORBIDDEN', 'UNAUTHENTICATED'].includes(e.extensions?.code),
        );
        if (response.errors?.some((e: any) => e.extensions?.code === 'INTERNAL_SERVER_ERROR'))
          mismatches.push(`${root}.${field} as ${role}: internal error`);
        const expected = grant(role, permission) !== null;
        if (!refusal !== expected) mismatches.push(`${root}.${field} as ${role}: expected ${expected ? 'allowed' : 'FORBIDDEN'}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('scopes the list by the read grant: only ALL-scoped roles see a stranger’s gadget, and totalCount agrees', async () => {
    for (const role of ROLES) {
      const scope = grant(role, 'gadget:read');
      if (!scope) continue;
      const response = await members
        .get(role)!
        .gql(`{ gadgets(first: 100) { totalCount nodes { id } } gadget(id: "${strangerGadget}") { id } }`);
      expect(response.errors).toBeUndefined();
      const ids = response.data.gadgets.nodes.map((n: { id: string }) => n.id);
      expect({ role, sees: ids.includes(strangerGadget), single: response.data.gadget?.id ?? null }).toEqual({
        role,
        sees: scope === 'ALL',
        single: scope === 'ALL' ? strangerGadget : null,
      });
      expect(response.data.gadgets.totalCount).toBe(ids.length);
    }
  });

  it('leaks nothing of another workspace through any of its operations given that workspace’s ids', async () => {
    const leaks: string[] = [];
    const raws = victimIds.map(rawId);
    for (const [root, field] of pluginOperations()) {
      for (const id of victimIds) {
        const { query, variables } = operation(schema, root, field, id, marker);
        const response = await ws.gql(query, variables);
        const body = JSON.stringify(response);
        if (body.toLowerCase().includes(marker)) leaks.push(`${root}.${field}(${id}): marker in response`);
        const data = JSON.stringify(withoutMessages(response));
        for (const [i, raw] of raws.entries())
          if (victimIds[i] !== id && (data.includes(raw) || data.includes(victimIds[i]!))) leaks.push(`${root}.${field}(${id}): id leaked`);
        if (!('data' in response)) leaks.push(`${root}.${field}(${id}): not executed: ${response.errors?.[0]?.message}`);
      }
    }
    expect(leaks).toEqual([]);
    // control: the victim itself finds its gadget through the same filters
    const own = await victim.ok(`query($q: String!) { gadgets(filter: { query: $q }) { totalCount } }`, { q: marker });
    expect(own.gadgets.totalCount).toBe(1);
    expect((schema.getType('Query') as GraphQLObjectType).getFields().gadgets).toBeDefined();
  });
});

describe('the fixture record type’s list', () => {
  let admin: PluginTestWorkspace;
  const ids = {} as Record<'cheap' | 'dear' | 'dollar' | 'tag', string>; // set in beforeAll
  beforeAll(async () => {
    admin = await server.newWorkspace();
    const field = await admin.ok(
      `mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { customField { key } userErrors { message } } }`,
      {
        i: { key: 'colour', label: 'Colour', objectType: 'Gadget', type: 'TEXT' },
      },
    );
    expect(field.createCustomField.userErrors).toEqual([]);
    ids.cheap = await insertGadget(admin.id, {
      name: 'Cheap widget',
      ownerId: admin.userId,
      status: 'live',
      price: [100, 'EUR'],
      custom: { colour: 'red' },
    });
    ids.dear = await insertGadget(admin.id, {
      name: 'Dear widget',
      ownerId: admin.userId,
      status: 'live',
      price: [9000, 'EUR'],
      custom: { colour: 'blue' },
    });
    ids.dollar = await insertGadget(admin.id, { name: 'Dollar doohickey', ownerId: admin.userId, price: [5000, 'USD'] });
    const tag = await admin.ok(`mutation { createTag(input: { name: "fragile" }) { tag { id } } }`);
    ids.tag = tag.createTag.tag.id;
    await tagGadget(admin.id, rawId(ids.dear), rawId(ids.tag));
  });

  const names = async (args: string, variables?: Record<string, unknown>) => {
    const declared = [args.includes('$f') && '$f: GadgetFilter', args.includes('$o') && '$o: [GadgetOrder!]'].filter(Boolean).join(', ');
    const data = await admin.ok(`query(${declared}) { gadgets(${args}) { totalCount nodes { name } } }`, variables);
    return data.gadgets.nodes.map((n: { name: string }) => n.name);
  };

  it('filters by enum, money range, tags, custom fields and text, and sorts by built-in and custom fields', async () => {
    expect(await names('filter: $f, orderBy: $o', { f: { status: ['LIVE'] }, o: [{ field: 'NAME' }] })).toEqual([
      'Cheap widget',
      'Dear widget',
    ]);
    expect(await names('filter: $f', { f: { price: { currency: 'EUR', gte: 500 } } })).toEqual(['Dear widget']);
    expect(await names('filter: $f', { f: { tags: [ids.tag] } })).toEqual(['Dear widget']);
    expect(await names('filter: $f', { f: { custom: [{ key: 'colour', eq: 'red' }] } })).toEqual(['Cheap widget']);
    expect(await names('filter: $f', { f: { query: 'doohick' } })).toEqual(['Dollar doohickey']);
    expect(await names('orderBy: $o', { o: [{ field: 'PRICE', direction: 'DESC' }] })).toEqual([
      'Dear widget',
      'Dollar doohickey',
      'Cheap widget',
    ]);
    expect(await names('orderBy: $o', { o: [{ customField: 'colour' }] })).toEqual(['Dear widget', 'Cheap widget', 'Dollar doohickey']);
  });

  it('pages with keyset cursors', async () => {
    const first = await admin.ok(`{ gadgets(first: 2, orderBy: [{ field: NAME }]) { nodes { name } pageInfo { hasNextPage endCursor } } }`);
    expect(first.gadgets.nodes.map((n: { name: string }) => n.name)).toEqual(['Cheap widget', 'Dear widget']);
    const next = await admin.ok(
      `query($a: String) { gadgets(first: 2, after: $a, orderBy: [{ field: NAME }]) { nodes { name } pageInfo { hasNextPage } } }`,
      {
        a: first.gadgets.pageInfo.endCursor,
      },
    );
    expect(next.gadgets).toEqual({ nodes: [{ name: 'Dollar doohickey' }], pageInfo: { hasNextPage: false } });
  });

  it.each([
    ['an unknown custom field', { custom: [{ key: 'nope', eq: 1 }] }],
    ['a currency that is not ISO 4217', { price: { currency: 'E\u0000R', gte: 1 } }],
    ['a foreign-typed id', { owner: { eq: toGlobalId('Contact', randomUUID()) } }],
    ['a query longer than 200 characters', { query: 'x'.repeat(201) }],
  ])('refuses %s with BAD_USER_INPUT', async (_, filter) => {
    const response = await admin.gql(`query($f: GadgetFilter) { gadgets(filter: $f) { totalCount } }`, { f: filter });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.data?.gadgets ?? null).toBeNull();
  });
});
