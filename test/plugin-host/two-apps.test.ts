import { definePlugin, ErrorCode, InputRejected, toGlobalId } from '../../src/sdk/index.js';
import { startPluginServer, type PluginTestServer } from '../../src/sdk/testing.js';
import { eventsOf } from '../../src/events/registry.js';
import { nodeTypesOf } from '../../src/graphql/node-registry.js';
import pipeline from '../../plugins/pipeline/plugin.js';

/**
 * Two apps in one process with different plugin sets: each app's hooks, subscribers and node types are its own.
 * App `withPlugins` has pipeline and a sentinel plugin (a hook vetoing contacts named "Blocked", a subscriber of
 * contact.created); app `bare` has no plugin at all.
 */

const handled: string[] = [];
const sentinel = definePlugin({
  id: 'sentinel',
  name: 'Sentinel',
  version: '1.0.0',
  kernel: '^1.0.0',
  enabledByDefault: true,
  hooks: [
    {
      on: 'contact.create',
      run(draft) {
        if (draft.firstName === 'Blocked') throw InputRejected.one('firstName', 'the sentinel says no', ErrorCode.BAD_USER_INPUT);
      },
    },
  ],
  subscribers: [{ name: 'recorder', on: ['contact.created'], handle: async (event) => void handled.push(event.workspaceId) }],
});

const CREATE_CONTACT = `mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } userErrors { message } } }`;
const NODE = `query($id: ID!) { node(id: $id) { __typename id } }`;

let withPlugins: PluginTestServer;
let bare: PluginTestServer;

beforeAll(async () => {
  // started together: neither app's start-up may depend on what the other has registered yet
  [withPlugins, bare] = await Promise.all([startPluginServer([pipeline, sentinel]), startPluginServer([])]);
}, 120_000);
afterAll(() => Promise.all([withPlugins?.close(), bare?.close()]));

const deliveries = (server: PluginTestServer, workspaceId: string) =>
  server.orm.em
    .getConnection()
    // the kernel's own subscribers (webhook fan-out) are in every app
    .execute(`select subscriber from outbox_delivery where workspace_id = ? and plugin <> 'kernel' order by subscriber`, [
      workspaceId,
    ]) as Promise<{ subscriber: string }[]>;

it('runs a hook only in the app whose plugin set has it', async () => {
  const [a, b] = await Promise.all([withPlugins.newWorkspace(), bare.newWorkspace()]);
  const inA = await a.ok(CREATE_CONTACT, { i: { firstName: 'Blocked' } });
  expect(inA.createContact).toEqual({ contact: null, userErrors: [{ message: 'the sentinel says no' }] });
  const inB = await b.ok(CREATE_CONTACT, { i: { firstName: 'Blocked' } });
  expect(inB.createContact.userErrors).toEqual([]);
  expect(inB.createContact.contact.id).toEqual(expect.any(String));
  expect(
    eventsOf(withPlugins.appOrm)
      .hooksFor('contact.create')
      .map((h) => h.plugin),
  ).toEqual(['sentinel']);
  expect(eventsOf(bare.appOrm).hooksFor('contact.create')).toEqual([]);
});

it("records deliveries only for the subscribers of the app's own plugins", async () => {
  const [a, b] = await Promise.all([withPlugins.newWorkspace(), bare.newWorkspace()]);
  await a.ok(CREATE_CONTACT, { i: { firstName: 'Ada' } });
  await b.ok(CREATE_CONTACT, { i: { firstName: 'Bea' } });
  expect((await deliveries(withPlugins, a.id)).map((d) => d.subscriber)).toContain('sentinel/recorder');
  expect(await deliveries(bare, b.id)).toEqual([]);
  expect(
    eventsOf(bare.appOrm)
      .subscribersFor('contact.created')
      .map((s) => s.key),
  ).toEqual(['kernel/webhooks', 'kernel/automation']);
});

it('resolves a plugin node type only in the app that has the plugin', async () => {
  const [a, b] = await Promise.all([withPlugins.newWorkspace(), bare.newWorkspace()]);
  const pipelineMade = await a.ok(
    `mutation { createPipeline(input: { name: "Sales", stages: [{ name: "Open", kind: OPEN }, { name: "Won", kind: WON }, { name: "Lost", kind: LOST }] }) { userErrors { message } } }`,
  );
  expect(pipelineMade.createPipeline.userErrors).toEqual([]);
  const created = await a.ok(`mutation { createDeal(input: { name: "Two apps" }) { deal { id } userErrors { message } } }`);
  expect(created.createDeal.userErrors).toEqual([]);
  const dealId: string = created.createDeal.deal.id;
  expect((await a.ok(NODE, { id: dealId })).node).toEqual({ __typename: 'Deal', id: dealId });
  expect((await b.ok(NODE, { id: dealId })).node).toBeNull();
  expect((await b.ok(NODE, { id: toGlobalId('Deal', '00000000-0000-4000-8000-000000000000') })).node).toBeNull();
  expect(nodeTypesOf(withPlugins.appOrm).ownerOf('Deal')).toBe('pipeline');
  expect(nodeTypesOf(bare.appOrm).ownerOf('Deal')).toBeUndefined();
  expect(nodeTypesOf(bare.appOrm).ownerOf('Contact')).toBe('kernel');
});
