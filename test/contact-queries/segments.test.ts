import pipeline from '../../plugins/pipeline/plugin.js';
import {
  countContacts,
  contactIdsMatching,
  contactsMatching,
  toConnection,
  validateContactRules,
  type CompiledContactRules,
  type ContactRule,
} from '../../src/sdk/index.js';
import { startPluginServer, type PluginTestServer, type PluginTestWorkspace } from '../../src/sdk/testing.js';
import '../../src/app/kernel-entities.js';
import { as, gid, refusal, uuid } from './helpers.js';

/**
 * Segment rules compiled to SQL, on a fixed dataset (NOW = 2026-06-15 12:00 UTC):
 *
 * | contact | company (industry, employees, plan) | owner | stage | tags | tier, score | email | last activity |
 * | Ann Lee | Acme (Software, 50, pro) | S1 (team T) | CUSTOMER | vip | gold, 80 | ann@acme.io, consent GRANTED | CALL 2 days ago |
 * | Bob Stone | Acme | S2 (team T) | LEAD | vip, newsletter | silver, 40 | bob@acme.io, doNotEmail | EMAIL 10 days ago |
 * | Cara Diaz | Globex (Retail, 500) | S3 (no team) | LEAD | — | —, 95 | cara@globex.com | MEETING 40 days ago |
 * | Dan (no last name) | — | none | OPPORTUNITY | — | — | — | none |
 * | Eve (trashed) | Acme | S1 | CUSTOMER | vip | gold, 99 | eve@acme.io | CALL 1 day ago |
 *
 * Created: Ann 2026-01-10, Bob 2026-03-01, Cara 2026-06-01, Dan 2026-06-14, Eve 2026-01-01.
 */

const NOW = new Date('2026-06-15T12:00:00Z');
const days = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString();

let server: PluginTestServer;
let ws: PluginTestWorkspace;
const users = {} as Record<'s1' | 's2' | 's3', string>;
const ids = {} as Record<'ann' | 'bob' | 'cara' | 'dan' | 'eve' | 'acme' | 'globex' | 'team', string>; // global ids

const compile = (rules: unknown, userId: string | null = null) => as(server, ws.id, userId, (ctx) => validateContactRules(ctx, rules));
const count = (rules: ContactRule, userId: string | null = null) =>
  as(server, ws.id, userId, async (ctx) => countContacts(ctx, await validateContactRules(ctx, rules), { now: NOW }));
const names = async (rules: ContactRule, userId: string | null = null) =>
  as(server, ws.id, userId, async (ctx) => {
    const page = await contactsMatching(
      ctx,
      await validateContactRules(ctx, rules),
      { first: 50 },
      { now: NOW, orderBy: [{ field: 'firstName' }] },
    );
    return page.nodes.map((c) => c.firstName);
  });

beforeAll(async () => {
  server = await startPluginServer([pipeline]);
  ws = await server.newWorkspace();
  for (const key of ['s1', 's2', 's3'] as const) users[key] = (await ws.addMember(`Sales ${key}`, 'SALES')).id;
  ids.team = (
    await ws.ok(`mutation($i: CreateTeamInput!) { createTeam(input: $i) { team { id } } }`, {
      i: { name: 'T', memberIds: [gid('User', users.s1), gid('User', users.s2)] },
    })
  ).createTeam.team.id;
  for (const [objectType, key, type] of [
    ['Contact', 'tier', 'TEXT'],
    ['Contact', 'score', 'NUMBER'],
    ['Company', 'plan', 'TEXT'],
  ]) {
    await ws.ok(`mutation($i: CreateCustomFieldInput!) { createCustomField(input: $i) { userErrors { message } } }`, {
      i: { objectType, key, label: key, type },
    });
  }
  const company = async (input: Record<string, unknown>) =>
    (await ws.ok(`mutation($i: CreateCompanyInput!) { createCompany(input: $i) { company { id } } }`, { i: input })).createCompany.company
      .id;
  ids.acme = await company({ name: 'Acme', industry: 'Software', employeeCount: 50, customFields: { plan: 'pro' } });
  ids.globex = await company({ name: 'Globex', industry: 'Retail', employeeCount: 500 });
  const tag = async (name: string) =>
    (await ws.ok(`mutation($n: String!) { createTag(input: { name: $n }) { tag { id } } }`, { n: name })).createTag.tag.id;
  const vip = await tag('vip');
  const newsletter = await tag('newsletter');
  const contact = async (input: Record<string, unknown>, owner: string | null, createdAt: string) => {
    const id = (
      await ws.ok(`mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } userErrors { message } } }`, { i: input })
    ).createContact.contact.id;
    await server.orm.em
      .getConnection()
      .execute(`update contact set owner_id = ?, created_at = ?, updated_at = ? where id = ?`, [owner, createdAt, createdAt, uuid(id)]);
    return id as string;
  };
  const email = (address: string) => [{ email: address, primary: true }];
  ids.ann = await contact(
    {
      firstName: 'Ann',
      lastName: 'Lee',
      jobTitle: 'CTO',
      emails: email('ann@acme.io'),
      companyId: ids.acme,
      lifecycleStage: 'CUSTOMER',
      marketingConsent: 'GRANTED',
      tagIds: [vip],
      customFields: { tier: 'gold', score: 80 },
    },
    users.s1,
    '2026-01-10T09:00:00Z',
  );
  ids.bob = await contact(
    {
      firstName: 'Bob',
      lastName: 'Stone',
      emails: email('bob@acme.io'),
      companyId: ids.acme,
      doNotEmail: true,
      tagIds: [vip, newsletter],
      customFields: { tier: 'silver', score: 40 },
    },
    users.s2,
    '2026-03-01T09:00:00Z',
  );
  ids.cara = await contact(
    { firstName: 'Cara', lastName: 'Diaz', emails: email('cara@globex.com'), companyId: ids.globex, customFields: { score: 95 } },
    users.s3,
    '2026-06-01T12:00:00Z',
  );
  ids.dan = await contact({ firstName: 'Dan', lifecycleStage: 'OPPORTUNITY' }, null, '2026-06-14T12:00:00Z');
  ids.eve = await contact(
    {
      firstName: 'Eve',
      emails: email('eve@acme.io'),
      companyId: ids.acme,
      lifecycleStage: 'CUSTOMER',
      tagIds: [vip],
      customFields: { tier: 'gold', score: 99 },
    },
    users.s1,
    '2026-01-01T09:00:00Z',
  );
  const log = (type: string, target: string, at: string) =>
    ws.ok(`mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } } }`, {
      i: { type, subject: type, occurredAt: at, targetIds: [target] },
    });
  await log('CALL', ids.ann, days(2));
  await log('EMAIL', ids.bob, days(10));
  await log('MEETING', ids.cara, days(40));
  await log('CALL', ids.eve, days(1));
  await server.orm.em.getConnection().execute(`update contact set deleted_at = ? where id = ?`, [days(0), uuid(ids.eve)]);
});
afterAll(() => server?.close());

describe('counts against the dataset (the system sees every live contact)', () => {
  it.each<[string, ContactRule, string[]]>([
    ['company field, case-insensitive', { field: 'company.industry', op: 'eq', value: 'software' }, ['Ann', 'Bob']],
    ['company number', { field: 'company.employeeCount', op: 'gte', value: 100 }, ['Cara']],
    ['company custom field', { field: 'company.custom.plan', op: 'eq', value: 'pro' }, ['Ann', 'Bob']],
    ['tag by name', { field: 'tags', op: 'includes', value: 'VIP' }, ['Ann', 'Bob']],
    ['tag excluded', { field: 'tags', op: 'excludes', value: 'newsletter' }, ['Ann', 'Cara', 'Dan']],
    ['no tags', { field: 'tags', op: 'isEmpty' }, ['Cara', 'Dan']],
    ['custom text', { field: 'custom.tier', op: 'eq', value: 'gold' }, ['Ann']],
    ['custom empty', { field: 'custom.tier', op: 'isEmpty' }, ['Cara', 'Dan']],
    ['custom number', { field: 'custom.score', op: 'gt', value: 50 }, ['Ann', 'Cara']],
    ['primary email', { field: 'email', op: 'endsWith', value: '@ACME.io' }, ['Ann', 'Bob']],
    ['string in', { field: 'firstName', op: 'in', value: ['ann', 'dan', 'zed'] }, ['Ann', 'Dan']],
    ['contains', { field: 'lastName', op: 'contains', value: 'to' }, ['Bob']],
    ['enum', { field: 'lifecycleStage', op: 'in', value: ['LEAD', 'OPPORTUNITY'] }, ['Bob', 'Cara', 'Dan']],
    ['consent', { field: 'marketingConsent', op: 'eq', value: 'GRANTED' }, ['Ann']],
    ['flag', { field: 'doNotEmail', op: 'eq', value: true }, ['Bob']],
    ['owner', { field: 'ownerId', op: 'eq', value: '$s3' }, ['Cara']],
    ['no owner', { field: 'ownerId', op: 'isEmpty' }, ['Dan']],
    ['owner teams', { field: 'owner.teams', op: 'includes', value: '$team' }, ['Ann', 'Bob']],
    ['created before', { field: 'createdAt', op: 'before', value: '2026-05-01' }, ['Ann', 'Bob']],
    ['created in the last 30 days', { field: 'createdAt', op: 'withinLastDays', value: 30 }, ['Cara', 'Dan']],
    ['last activity in 15 days', { field: 'lastActivityAt', op: 'withinLastDays', value: 15 }, ['Ann', 'Bob']],
    ['no activity ever', { field: 'lastActivityAt', op: 'isEmpty' }, ['Dan']],
    ['activity in the last 7 days', { fact: 'activity.logged', params: { withinLastDays: 7 } }, ['Ann']],
    ['an email in the last 30 days', { fact: 'activity.logged', params: { type: 'EMAIL', withinLastDays: 30 } }, ['Bob']],
    ['no activity for 30 days', { fact: 'activity.none', params: { days: 30 } }, ['Cara', 'Dan']],
    ['not, with missing values', { not: { field: 'lastName', op: 'eq', value: 'lee' } }, ['Bob', 'Cara', 'Dan']],
    [
      'nested all / any / not',
      {
        all: [
          {
            any: [
              { field: 'tags', op: 'includes', value: 'vip' },
              { field: 'custom.score', op: 'gte', value: 90 },
            ],
          },
          { not: { field: 'lifecycleStage', op: 'eq', value: 'CUSTOMER' } },
        ],
      },
      ['Bob', 'Cara'],
    ],
  ])('%s', async (_name, template, expected) => {
    // ids known only once the dataset exists
    const rules = JSON.parse(
      JSON.stringify(template)
        .replace('"$s3"', JSON.stringify(gid('User', users.s3)))
        .replace('"$team"', JSON.stringify(ids.team)),
    ) as ContactRule;
    expect(await count(rules)).toBe(expected.length);
    expect(await names(rules)).toEqual(expected);
  });
});

describe('record scope', () => {
  const everyone: ContactRule = { field: 'firstName', op: 'isNotEmpty' };
  it('a SALES member (TEAM scope) counts their team’s contacts; one without a team only their own', async () => {
    expect(await count(everyone)).toBe(4);
    expect(await names(everyone, users.s1)).toEqual(['Ann', 'Bob']);
    expect(await count(everyone, users.s2)).toBe(2);
    expect(await names(everyone, users.s3)).toEqual(['Cara']);
  });
});

describe('contactIdsMatching', () => {
  it('returns ids in id order, restricted by among, paged by after and limit', async () => {
    const live = [ids.ann, ids.bob, ids.cara, ids.dan].map(uuid).sort();
    await as(server, ws.id, null, async (ctx) => {
      const all = await validateContactRules(ctx, { field: 'firstName', op: 'isNotEmpty' });
      expect(await contactIdsMatching(ctx, all, { now: NOW })).toEqual(live);
      expect(await contactIdsMatching(ctx, all, { limit: 2 })).toEqual(live.slice(0, 2));
      expect(await contactIdsMatching(ctx, all, { after: live[1], limit: 5 })).toEqual(live.slice(2));
      const vip = await validateContactRules(ctx, { field: 'tags', op: 'includes', value: 'vip' });
      // Eve is trashed; Cara is no vip
      expect(await contactIdsMatching(ctx, vip, { among: [ids.ann, ids.cara, ids.eve].map(uuid) })).toEqual([uuid(ids.ann)]);
      expect(await contactIdsMatching(ctx, vip, { among: [] })).toEqual([]);
      expect(await refusal(contactIdsMatching(ctx, vip, { after: "x' or 1=1" }))).toEqual([
        { field: 'after', code: 'BAD_USER_INPUT', message: expect.any(String) },
      ]);
    });
    await as(server, ws.id, users.s3, async (ctx) => {
      const all = await validateContactRules(ctx, { field: 'firstName', op: 'isNotEmpty' });
      expect(await contactIdsMatching(ctx, all, { among: live })).toEqual([uuid(ids.cara)]);
    });
  });
});

describe('contactsMatching', () => {
  it('pages like the contacts list and feeds toConnection', async () => {
    await as(server, ws.id, null, async (ctx) => {
      const rules = await validateContactRules(ctx, { field: 'firstName', op: 'isNotEmpty' });
      const first = await contactsMatching(ctx, rules, { first: 3 }, { orderBy: [{ field: 'firstName' }] });
      const connection = toConnection(first);
      expect(connection.nodes.map((c) => c.firstName)).toEqual(['Ann', 'Bob', 'Cara']);
      expect(connection.pageInfo.hasNextPage).toBe(true);
      const next = await contactsMatching(
        ctx,
        rules,
        { first: 3, after: connection.pageInfo.endCursor },
        { orderBy: [{ field: 'firstName' }] },
      );
      expect(next.nodes.map((c) => c.firstName)).toEqual(['Dan']);
      expect(next.pageInfo.hasNextPage).toBe(false);
    });
  });
});

describe('compiled dependencies', () => {
  it('lists the fields and facts the rules read, and whether time alone changes them', async () => {
    const compiled: CompiledContactRules = await compile({
      all: [
        { field: 'company.industry', op: 'eq', value: 'x' },
        { not: { fact: 'activity.none', params: { days: 3 } } },
        { field: 'tags', op: 'isEmpty' },
      ],
    });
    expect(compiled.dependencies).toEqual({ fields: ['company.industry', 'tags'], facts: ['activity.none'], timeBased: true });
    expect((await compile({ field: 'firstName', op: 'eq', value: 'x' })).dependencies).toEqual({
      fields: ['firstName'],
      facts: [],
      timeBased: false,
    });
    expect((await compile({ field: 'createdAt', op: 'moreThanDaysAgo', value: 3 })).dependencies.timeBased).toBe(true);
  });
});

describe('validation refuses, all problems at once', () => {
  it('unknown field / fact, bad op for the kind, bad enum value, wrong value type, bad id, bad fact params', async () => {
    const errors = await refusal(
      compile({
        all: [
          { field: 'nope', op: 'eq', value: 1 },
          { field: 'firstName', op: 'gt', value: 'a' },
          { field: 'lifecycleStage', op: 'eq', value: 'KING' },
          { fact: 'nope.fact' },
          { fact: 'activity.logged', params: { withinLastDays: -1 } },
          { field: 'ownerId', op: 'eq', value: gid('Company', uuid(ids.acme)) },
          { field: 'custom.score', op: 'gt', value: 'many' },
          { field: 'custom.unknown', op: 'isEmpty' },
          { field: 'doNotEmail', op: 'eq', value: 'yes' },
        ],
      }),
    );
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['rules.all.0.field', 'BAD_USER_INPUT'],
      ['rules.all.1.op', 'BAD_USER_INPUT'],
      ['rules.all.2.value', 'BAD_USER_INPUT'],
      ['rules.all.3.fact', 'BAD_USER_INPUT'],
      ['rules.all.4.params.withinLastDays', 'BAD_USER_INPUT'],
      ['rules.all.5.value', 'BAD_USER_INPUT'],
      ['rules.all.6.value', 'BAD_USER_INPUT'],
      ['rules.all.7.field', 'BAD_USER_INPUT'],
      ['rules.all.8.value', 'BAD_USER_INPUT'],
    ]);
  });

  it('the shape: unknown keys, empty groups, an unknown operator (under the given path)', async () => {
    const errors = await as(server, ws.id, null, (ctx) => refusal(validateContactRules(ctx, { any: [] }, 'input.rules')));
    expect(errors[0]!.field.startsWith('input.rules')).toBe(true);
    expect((await refusal(compile({ field: 'firstName', op: 'like', value: 'a' }))).length).toBeGreaterThan(0);
    expect((await refusal(compile({ field: 'firstName', op: 'eq', value: 'a', extra: 1 }))).length).toBeGreaterThan(0);
  });

  it('control characters and NUL anywhere, keys included', async () => {
    expect(await refusal(compile({ all: [{ field: 'firstName', op: 'eq', value: 'a\u0000b' }] }))).toEqual([
      { field: 'rules.all.0.value', code: 'BAD_USER_INPUT', message: 'must not contain control characters' },
    ]);
    expect((await refusal(compile({ fact: 'activity.logged', params: { 'x\u0007': 1 } })))[0]!.message).toMatch(/control/);
    expect((await refusal(compile({ field: 'firstName', op: 'eq', value: 'line\nbreak' })))[0]!.message).toMatch(/control/);
  });

  it('limits: depth, number of rules, string length', async () => {
    let deep: ContactRule = { field: 'firstName', op: 'isEmpty' };
    for (let i = 0; i < 10; i++) deep = { not: deep };
    expect((await refusal(compile(deep)))[0]!.message).toMatch(/levels deep/);
    const wide = {
      any: Array.from({ length: 5 }, () => ({ all: Array.from({ length: 50 }, () => ({ field: 'firstName', op: 'isEmpty' })) })),
    };
    expect((await refusal(compile(wide)))[0]!.message).toMatch(/at most 200/);
    expect((await refusal(compile({ field: 'firstName', op: 'eq', value: 'x'.repeat(2001) })))[0]!.field).toBe('rules.value');
  });

  it('a field hidden by the author’s field allowlist is FORBIDDEN', async () => {
    const role = await ws.ok(`mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } userErrors { message } } }`, {
      i: { name: `Segmenter ${Date.now()}`, grants: [{ permission: 'contact:read', scope: 'ALL' }], fieldAllowlist: { Contact: [] } },
    });
    const member = await ws.addMember('Segmenter', 'READ_ONLY');
    await server.orm.em
      .getConnection()
      .execute(`update membership set role = ? where workspace_id = ? and user_id = ?`, [role.createRole.role.id, ws.id, member.id]);
    expect(
      await as(server, ws.id, member.id, (ctx) =>
        refusal(
          validateContactRules(ctx, {
            any: [
              { field: 'email', op: 'isEmpty' },
              { field: 'custom.tier', op: 'isEmpty' },
              { field: 'firstName', op: 'isEmpty' },
            ],
          }),
        ),
      ),
    ).toEqual([
      { field: 'rules.any.0.field', code: 'FORBIDDEN', message: 'the field email is hidden from you' },
      { field: 'rules.any.1.field', code: 'FORBIDDEN', message: 'the field custom.tier is hidden from you' },
    ]);
    // the admin may
    expect((await compile({ field: 'email', op: 'isEmpty' })).dependencies.fields).toEqual(['email']);
  });
});
