import pipeline from '../../../plugins/pipeline/plugin.js';
import {
  countContacts,
  contactIdsMatching,
  contactsAffectedBy,
  rulesAffectedBy,
  validateContactRules,
  type ContactRule,
} from '../../../src/sdk/index.js';
import { startPluginServer, type PluginTestServer, type PluginTestWorkspace } from '../../../src/sdk/testing.js';
import { as, lastEvent, refusal, uuid } from '../../contact-queries/helpers.js';
import { createDeal, createPipeline, stageByName, type PipelineShape } from './helpers.js';

/** The pipeline's contact fact `pipeline.openDealInStage`: open (not won, lost or trashed) deals the contact is on. */

let server: PluginTestServer;
let ws: PluginTestWorkspace;
let sales: PipelineShape;
const contacts = {} as Record<'ann' | 'bob' | 'cara' | 'dan', string>;
const deals = {} as Record<'dan', { id: string; version: number }>;
const inStage = (name: string): ContactRule => ({ fact: 'pipeline.openDealInStage', params: { stageId: stageByName(sales, name).id } });
const matching = (rules: ContactRule) =>
  as(server, ws.id, null, async (ctx) => {
    const compiled = await validateContactRules(ctx, rules);
    return { count: await countContacts(ctx, compiled), ids: await contactIdsMatching(ctx, compiled) };
  });

beforeAll(async () => {
  server = await startPluginServer([pipeline]);
  ws = await server.newWorkspace();
  sales = await createPipeline(ws);
  for (const name of ['ann', 'bob', 'cara', 'dan'] as const) {
    contacts[name] = (
      await ws.ok(`mutation($n: String!) { createContact(input: { firstName: $n }) { contact { id } } }`, { n: name })
    ).createContact.contact.id;
  }
  const deal = (name: string, contact: string, stage: string) =>
    createDeal(ws, { name, pipelineId: sales.id, stageId: stageByName(sales, stage).id, contacts: [{ contactId: contact }] });
  await deal('Ann’s', contacts.ann, 'Qualified');
  const won = await deal('Bob’s', contacts.bob, 'Qualified');
  await ws.ok(`mutation($i: CloseDealInput!) { markDealWon(input: $i) { userErrors { message } } }`, {
    i: { id: won.id, version: won.version },
  });
  const trashed = await deal('Cara’s', contacts.cara, 'Qualified');
  await ws.ok(`mutation($id: ID!) { deleteDeal(id: $id) { userErrors { message } } }`, { id: trashed.id });
  deals.dan = await deal('Dan’s', contacts.dan, 'Lead');
});
afterAll(() => server?.close());

it('matches contacts on an open deal in the stage, not won, lost or trashed ones', async () => {
  expect(await matching(inStage('Qualified'))).toEqual({ count: 1, ids: [uuid(contacts.ann)] });
  expect(await matching(inStage('Lead'))).toEqual({ count: 1, ids: [uuid(contacts.dan)] });
  expect((await matching({ not: inStage('Qualified') })).count).toBe(3);
});

it('a stage change affects the deal’s contacts and the rules naming the fact', async () => {
  await ws.ok(`mutation($i: MoveDealToStageInput!) { moveDealToStage(input: $i) { userErrors { message } } }`, {
    i: { id: deals.dan.id, version: deals.dan.version, stageId: stageByName(sales, 'Qualified').id },
  });
  expect((await matching(inStage('Qualified'))).ids.sort()).toEqual([uuid(contacts.ann), uuid(contacts.dan)].sort());
  await as(server, ws.id, null, async (ctx) => {
    const affected = await contactsAffectedBy(ctx, await lastEvent(server, ws.id, 'deal.stageChanged'));
    expect(affected).toEqual({ contactIds: [uuid(contacts.dan)], fields: [], facts: ['pipeline.openDealInStage'] });
    expect(rulesAffectedBy(await validateContactRules(ctx, inStage('Lead')), affected)).toBe(true);
    expect(rulesAffectedBy(await validateContactRules(ctx, { field: 'firstName', op: 'isEmpty' }), affected)).toBe(false);
  });
});

it('refuses bad params: a stage id that is not one', async () => {
  const errors = await as(server, ws.id, null, (ctx) =>
    refusal(validateContactRules(ctx, { fact: 'pipeline.openDealInStage', params: { stageId: contacts.ann } })),
  );
  expect(errors).toEqual([{ field: 'rules.params.stageId', code: 'BAD_USER_INPUT', message: 'a global id of a PipelineStage' }]);
});

it('disabled in the workspace: refused when validating (MODULE_DISABLED), and matches nothing at query time', async () => {
  const compiled = await as(server, ws.id, null, (ctx) => validateContactRules(ctx, inStage('Qualified')));
  const negated = await as(server, ws.id, null, (ctx) => validateContactRules(ctx, { not: inStage('Qualified') }));
  await ws.disable('pipeline');
  try {
    const errors = await as(server, ws.id, null, (ctx) => refusal(validateContactRules(ctx, inStage('Qualified'))));
    expect(errors).toEqual([{ field: 'rules.fact', code: 'MODULE_DISABLED', message: expect.stringMatching(/pipeline/) }]);
    await as(server, ws.id, null, async (ctx) => {
      expect(await countContacts(ctx, compiled)).toBe(0);
      expect(await countContacts(ctx, negated)).toBe(4);
      // nor do its events affect contacts there
      expect((await contactsAffectedBy(ctx, await lastEvent(server, ws.id, 'deal.stageChanged'))).contactIds).toEqual([]);
    });
  } finally {
    await ws.enable('pipeline');
  }
});
