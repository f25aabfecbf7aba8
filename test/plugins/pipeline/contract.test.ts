import { describePluginContract, startPluginServer, type PluginTestServer } from '../../../src/sdk/testing.js';
import pipeline from '../../../plugins/pipeline/plugin.js';
import { createDeal, createPipeline } from './helpers.js';

/**
 * The pipeline plugin through the SDK's contract kit (install → enable → use → disable → re-enable → uninstall),
 * then per-workspace schema toggling checked by introspection. PGlite, or PostgreSQL with TEST_DATABASE_URL.
 */

const DEAL = `query($id: ID!) { deal(id: $id) { id name status amount { amount currency } stage { name } pipeline { name } } }`;

// enabledByDefault: the kit's enable stage compares the schema before and after enableModule, so it starts from a
// workspace without the plugin (the host itself keeps it enabled by default; checked below)
describePluginContract(
  { ...pipeline, enabledByDefault: false },
  {
    async use({ workspace }) {
      const p = await createPipeline(workspace, 'Contract sales');
      const deal = await createDeal(workspace, { name: 'Contract deal', amount: { amount: 150000, currency: 'EUR' }, pipelineId: p.id });
      const expected = {
        deal: {
          id: deal.id,
          name: 'Contract deal',
          status: 'OPEN',
          amount: { amount: 150000, currency: 'EUR' },
          stage: { name: 'Lead' },
          pipeline: { name: 'Contract sales' },
        },
      };
      expect(await workspace.ok(DEAL, { id: deal.id })).toEqual(expected);
      return async ({ workspace: again }) => {
        expect(await again.ok(DEAL, { id: deal.id })).toEqual(expected);
      };
    },
  },
);

const TYPES = `{ __schema { types { name fields { name } } } }`;

async function shape(ws: { ok: (q: string) => Promise<any> }) {
  const data = await ws.ok(TYPES);
  const types = new Map<string, string[]>(
    data.__schema.types.map((t: { name: string; fields: { name: string }[] | null }) => [t.name, (t.fields ?? []).map((f) => f.name)]),
  );
  return {
    hasDeal: types.has('Deal'),
    hasPipeline: types.has('Pipeline'),
    contactDeals: types.get('Contact')!.includes('deals'),
    companyDeals: types.get('Company')!.includes('deals'),
  };
}

describe('pipeline: per-workspace schema', () => {
  let server: PluginTestServer;
  beforeAll(async () => {
    server = await startPluginServer([pipeline]);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('disabling removes Deal, Pipeline and Contact.deals from that workspace only; re-enabling brings the same deals back', async () => {
    const a = await server.newWorkspace();
    const b = await server.newWorkspace();
    // enabled by default
    expect(await shape(a)).toEqual({ hasDeal: true, hasPipeline: true, contactDeals: true, companyDeals: true });
    const p = await createPipeline(a);
    const deal = await createDeal(a, { name: 'Kept deal', pipelineId: p.id });
    const list = `{ deals { totalCount nodes { id name } } }`;
    const before = await a.ok(list);
    expect(before).toEqual({ deals: { totalCount: 1, nodes: [{ id: deal.id, name: 'Kept deal' }] } });

    await a.disable('pipeline');
    expect(await shape(a)).toEqual({ hasDeal: false, hasPipeline: false, contactDeals: false, companyDeals: false });
    const refused = await a.gql(list);
    expect(refused.errors?.map((e) => e.extensions)).toEqual([{ code: 'MODULE_DISABLED', module: 'pipeline' }]);
    expect(refused.errors?.[0]?.message).toBe(
      'Cannot query field "deals" on type "Query": it belongs to the module Sales pipeline (pipeline), which is not enabled in this workspace.',
    );
    // the other workspace keeps the plugin
    expect(await shape(b)).toEqual({ hasDeal: true, hasPipeline: true, contactDeals: true, companyDeals: true });
    // the data stays while disabled
    const [row] = await server.orm.em.getConnection().execute('select name from deal where workspace_id = ?', [a.id]);
    expect(row.name).toBe('Kept deal');

    await a.enable('pipeline');
    expect(await shape(a)).toEqual({ hasDeal: true, hasPipeline: true, contactDeals: true, companyDeals: true });
    expect(await a.ok(list)).toEqual(before);
  });
});

describe('pipeline: what a workspace without it sees, and uninstall', () => {
  let server: PluginTestServer;
  beforeAll(async () => {
    server = await startPluginServer([pipeline]);
  });
  afterAll(async () => {
    await server?.close();
  });

  const SEARCHABLE = `{ __type(name: "SearchableType") { enumValues { name } } }`;
  const TIMELINE = `query($id: ID!) { company(id: $id) { timeline(first: 20) { edges { node { __typename ... on TimelineEvent { entryType } } } } } }`;

  it('disabled: no DEAL search type, deal entries left out of company timelines (back on re-enable); uninstall removes them and the custom fields on deals', async () => {
    const ws = await server.newWorkspace();
    const company = (await ws.ok(`mutation { createCompany(input: { name: "Timeline Co" }) { company { id } } }`)).createCompany.company.id;
    const field = await ws.ok(
      `mutation { createCustomField(input: { objectType: "Deal", key: "region", label: "Region", type: TEXT }) { userErrors { message } } }`,
    );
    expect(field.createCustomField.userErrors).toEqual([]);
    const p = await createPipeline(ws);
    await createDeal(ws, { name: 'On the timeline', pipelineId: p.id, companyId: company });
    const entryTypes = async () =>
      (await ws.ok(TIMELINE, { id: company })).company.timeline.edges.map((e: { node: { entryType?: string } }) => e.node.entryType);
    const searchable = async () => (await ws.ok(SEARCHABLE)).__type.enumValues.map((v: { name: string }) => v.name);

    expect(await entryTypes()).toEqual(['deal.created']);
    expect(await searchable()).toContain('DEAL');

    await ws.disable('pipeline');
    expect(await entryTypes()).toEqual([]);
    expect(await searchable()).not.toContain('DEAL');
    await ws.enable('pipeline');
    expect(await entryTypes()).toEqual(['deal.created']);

    const data = await ws.ok(`mutation { uninstallModule(input: { id: "pipeline" }) { module { enabled } userErrors { message } } }`);
    expect(data.uninstallModule).toEqual({ module: { enabled: false }, userErrors: [] });
    const conn = server.orm.em.getConnection();
    const count = async (q: string) => Number((await conn.execute(q, [ws.id]))[0].n);
    expect(await count(`select count(*) as n from deal where workspace_id = ?`)).toBe(0);
    expect(await count(`select count(*) as n from timeline_event where workspace_id = ? and entry_type like 'deal.%'`)).toBe(0);
    expect(
      await count(`select count(*) as n from timeline_link where workspace_id = ? and (entry_type like 'deal.%' or target_type = 'Deal')`),
    ).toBe(0);
    expect(await count(`select count(*) as n from custom_field_definition where workspace_id = ? and object_type = 'Deal'`)).toBe(0);
    await ws.enable('pipeline');
    expect(await entryTypes()).toEqual([]);
    expect((await ws.ok(`{ deals { totalCount } }`)).deals.totalCount).toBe(0);
  });
});
