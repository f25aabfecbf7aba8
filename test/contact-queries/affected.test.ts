import { contactsAffectedBy, rulesAffectedBy, validateContactRules, type AffectedContacts } from '../../src/sdk/index.js';
import { startPluginServer, type PluginTestServer, type PluginTestWorkspace } from '../../src/sdk/testing.js';
import '../../src/app/kernel-entities.js';
import { as, gid, lastEvent, uuid } from './helpers.js';

/**
 * contactsAffectedBy on the events the kernel really wrote to the outbox (their payloads as subscribers get them),
 * and rulesAffectedBy on what they name.
 */

let server: PluginTestServer;
let ws: PluginTestWorkspace;
const affected = (type: string) => as(server, ws.id, null, async (ctx) => contactsAffectedBy(ctx, await lastEvent(server, ws.id, type)));
const sorted = (a: AffectedContacts) => ({
  contactIds: [...a.contactIds].sort(),
  fields: [...a.fields].sort(),
  facts: [...a.facts].sort(),
});

const CONTACT = `mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id version } } }`;
const UPDATE = `mutation($i: UpdateContactInput!) { updateContact(input: $i) { contact { id version } userErrors { message } } }`;
let company: string;
let ann: { id: string; version: number };
let bob: { id: string; version: number };

beforeAll(async () => {
  server = await startPluginServer([]);
  ws = await server.newWorkspace();
  await ws.ok(
    `mutation { createCustomField(input: { objectType: "Contact", key: "tier", label: "Tier", type: TEXT }) { userErrors { message } } }`,
  );
  await ws.ok(
    `mutation { createCustomField(input: { objectType: "Contact", key: "note", label: "Note", type: TEXT }) { userErrors { message } } }`,
  );
  company = (await ws.ok(`mutation { createCompany(input: { name: "Acme", industry: "Software" }) { company { id } } }`)).createCompany
    .company.id;
  ann = (await ws.ok(CONTACT, { i: { firstName: 'Ann', companyId: company, customFields: { tier: 'gold', note: 'x' } } })).createContact
    .contact;
  bob = (await ws.ok(CONTACT, { i: { firstName: 'Bob', companyId: company } })).createContact.contact;
});
afterAll(() => server?.close());

it('contact.created: the contact, every field and fact', async () => {
  expect(sorted(await affected('contact.created'))).toEqual({ contactIds: [uuid(bob.id)], fields: ['*'], facts: ['*'] });
});

it('contact.updated: the changed fields as rule paths (custom fields by key, owner with its teams)', async () => {
  const updated = (
    await ws.ok(UPDATE, {
      i: {
        id: ann.id,
        version: ann.version,
        lastName: 'Lee',
        ownerId: gid('User', (await ws.addMember('Owen Owner', 'SALES')).id),
        customFields: { tier: 'silver' },
      },
    })
  ).updateContact.contact;
  ann = updated;
  const result = sorted(await affected('contact.updated'));
  expect(result).toEqual({
    contactIds: [uuid(ann.id)],
    fields: ['custom.tier', 'lastName', 'owner.teams', 'ownerId', 'updatedAt'],
    facts: [],
  });
  const tier = await as(server, ws.id, null, (ctx) => validateContactRules(ctx, { field: 'custom.tier', op: 'eq', value: 'gold' }));
  const note = await as(server, ws.id, null, (ctx) => validateContactRules(ctx, { field: 'custom.note', op: 'eq', value: 'x' }));
  expect(rulesAffectedBy(tier, result)).toBe(true);
  expect(rulesAffectedBy(note, result)).toBe(false);
});

it('consent changes and contact.lifecycleChanged', async () => {
  ann = (
    await ws.ok(UPDATE, {
      i: { id: ann.id, version: ann.version, marketingConsent: 'WITHDRAWN', doNotEmail: true, lifecycleStage: 'CUSTOMER' },
    })
  ).updateContact.contact;
  const updated = sorted(await affected('contact.updated'));
  expect(updated.fields).toEqual(expect.arrayContaining(['doNotEmail', 'lifecycleStage', 'marketingConsent', 'updatedAt']));
  expect(updated.fields).not.toContain('firstName');
  expect(sorted(await affected('contact.lifecycleChanged'))).toEqual({ contactIds: [uuid(ann.id)], fields: ['lifecycleStage'], facts: [] });
  const consent = await as(server, ws.id, null, (ctx) =>
    validateContactRules(ctx, { field: 'marketingConsent', op: 'eq', value: 'GRANTED' }),
  );
  expect(rulesAffectedBy(consent, updated)).toBe(true);
});

it('company.updated: the company’s live contacts, fields as company.<field>', async () => {
  const version = (await ws.ok(`query($id: ID!) { node(id: $id) { ... on Company { version } } }`, { id: company })).node.version;
  await ws.ok(`mutation($i: UpdateCompanyInput!) { updateCompany(input: $i) { userErrors { message } } }`, {
    i: { id: company, version, industry: 'Retail' },
  });
  const result = sorted(await affected('company.updated'));
  expect(result).toEqual({ contactIds: [uuid(ann.id), uuid(bob.id)].sort(), fields: ['company.industry'], facts: [] });
  const industry = await as(server, ws.id, null, (ctx) =>
    validateContactRules(ctx, { field: 'company.industry', op: 'eq', value: 'Retail' }),
  );
  const name = await as(server, ws.id, null, (ctx) => validateContactRules(ctx, { field: 'company.name', op: 'eq', value: 'Acme' }));
  expect(rulesAffectedBy(industry, result)).toBe(true);
  expect(rulesAffectedBy(name, result)).toBe(false);
});

it('activity.logged: its contacts, the activity facts and lastActivityAt', async () => {
  await ws.ok(`mutation($t: [ID!]!) { logActivity(input: { type: CALL, subject: "Call", targetIds: $t }) { activity { id } } }`, {
    t: [ann.id, company],
  });
  const result = sorted(await affected('activity.logged'));
  expect(result).toEqual({ contactIds: [uuid(ann.id)], fields: ['lastActivityAt'], facts: ['activity.logged', 'activity.none'] });
  const quiet = await as(server, ws.id, null, (ctx) => validateContactRules(ctx, { fact: 'activity.none', params: { days: 30 } }));
  const named = await as(server, ws.id, null, (ctx) => validateContactRules(ctx, { field: 'firstName', op: 'eq', value: 'Ann' }));
  expect(rulesAffectedBy(quiet, result)).toBe(true);
  expect(rulesAffectedBy(named, result)).toBe(false);
});

it('contact.merged: both contacts, everything', async () => {
  const carl = (await ws.ok(CONTACT, { i: { firstName: 'Carl' } })).createContact.contact;
  const merged = await ws.gql(`mutation($i: MergeInput!) { mergeContacts(input: $i) { userErrors { message } } }`, {
    i: { targetId: bob.id, sourceIds: [carl.id] },
  });
  expect(merged.errors).toBeUndefined();
  expect(sorted(await affected('contact.merged'))).toEqual({
    contactIds: [uuid(bob.id), uuid(carl.id)].sort(),
    fields: ['*'],
    facts: ['*'],
  });
});

it('contact.deleted and contact.restored: the contact, everything', async () => {
  const dora = (await ws.ok(CONTACT, { i: { firstName: 'Dora' } })).createContact.contact;
  await ws.ok(`mutation($id: ID!) { deleteContact(id: $id) { userErrors { message } } }`, { id: dora.id });
  expect(sorted(await affected('contact.deleted'))).toEqual({ contactIds: [uuid(dora.id)], fields: ['*'], facts: ['*'] });
  await ws.ok(`mutation($id: ID!) { restoreContact(id: $id) { userErrors { message } } }`, { id: dora.id });
  expect(sorted(await affected('contact.restored'))).toEqual({ contactIds: [uuid(dora.id)], fields: ['*'], facts: ['*'] });
});

it('an event about no contact affects no rules', async () => {
  const nothing = await as(server, ws.id, null, (ctx) =>
    contactsAffectedBy(ctx, {
      id: 'e',
      type: 'webhook.endpointDisabled',
      workspaceId: ws.id,
      occurredAt: new Date(),
      actor: { userId: null, apiKeyId: null },
      payload: { id: 'x' },
    }),
  );
  expect(nothing).toEqual({ contactIds: [], fields: [], facts: [] });
  const any = await as(server, ws.id, null, (ctx) => validateContactRules(ctx, { field: 'firstName', op: 'isNotEmpty' }));
  expect(rulesAffectedBy(any, nothing)).toBe(false);
});
