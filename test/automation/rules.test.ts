import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { parseGlobalId } from '../../src/graphql/global-id.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { makeEndpoint } from '../webhooks/helpers.js';
import { CREATE_RULE, createContact, makeRule, sqlOf } from './helpers.js';

/** Saving, validating, testing and listing rules (no queue: nothing runs here but dry runs). */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const contactTrigger = { type: 'event', event: 'contact.created' };
const create = (ws: Pick<TestWorkspace, 'gql'>, definition: unknown, name = 'Rule') =>
  ws.gql(CREATE_RULE, { input: { name, definition } }).then((r) => r.data?.createAutomationRule ?? r);

async function nothingSaved(ws: TestWorkspace) {
  expect(await server.count('automation_rule', ws.id)).toBe(0);
  expect(await server.count('automation_rule_version', ws.id)).toBe(0);
}

describe('saving a rule', () => {
  it('stores the definition as version 1 with the caller as owner, and lists it', async () => {
    const ws = await server.newWorkspace();
    const id = await makeRule(ws, {
      name: 'Welcome',
      definition: {
        trigger: contactTrigger,
        conditions: {
          all: [
            { field: 'lifecycleStage', op: 'in', value: ['LEAD', 'CUSTOMER'] },
            { any: [{ field: 'company.industry', op: 'eq', value: 'Software' }, { not: { field: 'tags', op: 'includes', value: 'vip' } }] },
          ],
        },
        actions: [{ type: 'createTask', subject: 'Say hello', dueInDays: 1 }],
      },
    });
    const data = await ws.ok(
      `{ automationRules(first: 10) { totalCount nodes { id name enabled definitionVersion ownerId definition versions { version } } } }`,
    );
    expect(data.automationRules.totalCount).toBe(1);
    expect(data.automationRules.nodes[0]).toMatchObject({
      id,
      name: 'Welcome',
      enabled: true,
      definitionVersion: 1,
      versions: [{ version: 1 }],
    });
    expect(parseGlobalId(data.automationRules.nodes[0].ownerId)!.id).toBe(ws.userId);
    const [row] = await sqlOf(server).execute<{ trigger_keys: string[] }[]>(
      `select trigger_keys from automation_rule where workspace_id = ?`,
      [ws.id],
    );
    expect(row!.trigger_keys).toEqual(['contact.created']);
  });

  it.each([
    [
      'an unknown field',
      { trigger: contactTrigger, conditions: { field: 'shoeSize', op: 'eq', value: 42 }, actions: [{ type: 'logNote', body: 'x' }] },
      ['definition', 'conditions', 'field'],
      'BAD_USER_INPUT',
      /no field shoeSize/,
    ],
    [
      'an operator that does not fit the field',
      { trigger: contactTrigger, conditions: { field: 'lifecycleStage', op: 'gt', value: 3 }, actions: [{ type: 'logNote', body: 'x' }] },
      ['definition', 'conditions', 'op'],
      'BAD_USER_INPUT',
      /gt does not apply to a enum field/,
    ],
    [
      'a value outside an enum',
      {
        trigger: contactTrigger,
        conditions: { all: [{ field: 'lifecycleStage', op: 'eq', value: 'KING' }] },
        actions: [{ type: 'logNote', body: 'x' }],
      },
      ['definition', 'conditions', 'all', '0', 'value'],
      'BAD_USER_INPUT',
      /one of LEAD/,
    ],
    [
      'a number for a text field',
      { trigger: contactTrigger, conditions: { field: 'firstName', op: 'contains', value: 7 }, actions: [{ type: 'logNote', body: 'x' }] },
      ['definition', 'conditions', 'value'],
      'BAD_USER_INPUT',
      /text/,
    ],
    [
      'an unknown action',
      { trigger: contactTrigger, actions: [{ type: 'launchRocket' }] },
      ['definition', 'actions', '0', 'type'],
      'BAD_USER_INPUT',
      /unknown action launchRocket/,
    ],
    [
      'a bad action parameter',
      { trigger: contactTrigger, actions: [{ type: 'createTask', subject: '', dueInDays: -1 }] },
      ['definition', 'actions', '0', 'subject'],
      'BAD_USER_INPUT',
      /empty/,
    ],
    [
      'a text with an unknown merge field',
      { trigger: contactTrigger, actions: [{ type: 'createTask', subject: 'Call {{ record.shoeSize }}' }] },
      ['definition', 'actions', '0', 'subject'],
      'BAD_USER_INPUT',
      /unknown merge field/,
    ],
    [
      'a text with a template syntax error',
      { trigger: contactTrigger, actions: [{ type: 'logNote', body: 'Hi {{ record.firstName ' }] },
      ['definition', 'actions', '0', 'body'],
      'BAD_USER_INPUT',
      /template error/,
    ],
    [
      'an email template that does not exist',
      { trigger: contactTrigger, actions: [{ type: 'sendEmail', templateKey: 'nope' }] },
      ['definition', 'actions', '0', 'templateKey'],
      'NOT_FOUND',
      /no email template/,
    ],
    [
      'a notification to a record owner without a record',
      { trigger: { type: 'schedule', cron: '0 9 * * *' }, actions: [{ type: 'notify', to: ['recordOwner'], title: 'x' }] },
      ['definition', 'actions', '0', 'to'],
      'BAD_USER_INPUT',
      /no record owner/,
    ],
    [
      'an unknown trigger type',
      { trigger: { type: 'whenever' }, actions: [{ type: 'logNote', body: 'x' }] },
      ['definition', 'trigger', 'type'],
      'BAD_USER_INPUT',
      /./,
    ],
    [
      'an event nobody emits',
      { trigger: { type: 'event', event: 'unicorn.sighted' }, actions: [{ type: 'logNote', body: 'x' }] },
      ['definition', 'trigger', 'event'],
      'BAD_USER_INPUT',
      /no installed module emits/,
    ],
    [
      'a bad cron',
      { trigger: { type: 'schedule', cron: 'every tuesday' }, actions: [{ type: 'callWebhook', endpointId: 'x' }] },
      ['definition', 'trigger', 'cron'],
      'BAD_USER_INPUT',
      /cron/,
    ],
    [
      'an unknown time zone',
      { trigger: { type: 'schedule', cron: '0 9 * * *', timeZone: 'Mars/Olympus' }, actions: [{ type: 'wait', days: 1 }] },
      ['definition', 'trigger', 'timeZone'],
      'BAD_USER_INPUT',
      /time zone/,
    ],
    [
      'a date trigger on a text field',
      {
        trigger: { type: 'dateRelative', recordType: 'Contact', field: 'firstName', offsetDays: 3 },
        actions: [{ type: 'logNote', body: 'x' }],
      },
      ['definition', 'trigger', 'field'],
      'BAD_USER_INPUT',
      /not a date/,
    ],
    [
      'a record action without a record',
      { trigger: { type: 'schedule', cron: '0 9 * * *' }, actions: [{ type: 'updateFields', fields: { jobTitle: 'x' } }] },
      ['definition', 'actions', '0', 'fields'],
      'BAD_USER_INPUT',
      /no record/,
    ],
    [
      'a field automation cannot set',
      { trigger: contactTrigger, actions: [{ type: 'updateFields', fields: { createdAt: '2020-01-01' } }] },
      ['definition', 'actions', '0', 'fields', 'createdAt'],
      'BAD_USER_INPUT',
      /cannot set|that automation can set/,
    ],
    [
      'a wait with both a duration and a field',
      { trigger: contactTrigger, actions: [{ type: 'wait', days: 1, untilField: 'createdAt' }] },
      ['definition', 'actions', '0'],
      'BAD_USER_INPUT',
      /duration/,
    ],
    [
      'an unknown team',
      {
        trigger: contactTrigger,
        actions: [{ type: 'assignOwner', strategy: 'roundRobin', teamId: 'VGVhbTowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA' }],
      },
      ['definition', 'actions', '0', 'teamId'],
      'NOT_FOUND',
      /team not found/,
    ],
  ])('refuses %s with a typed error and saves nothing', async (_what, definition, field, code, message) => {
    const ws = await server.newWorkspace();
    const result = await create(ws, definition);
    expect(result.rule).toBeNull();
    expect(result.userErrors).toContainEqual({ field, message: expect.stringMatching(message), code });
    await nothingSaved(ws);
  });

  it('reports every problem at once', async () => {
    const ws = await server.newWorkspace();
    const result = await create(ws, {
      trigger: contactTrigger,
      conditions: {
        any: [
          { field: 'nope', op: 'eq', value: 1 },
          { field: 'doNotCall', op: 'contains', value: 'x' },
        ],
      },
      actions: [
        { type: 'nothing' },
        { type: 'branch', if: { field: 'alsoNope', op: 'isEmpty' }, actions: [{ type: 'logNote', body: 'ok' }] },
      ],
    });
    expect(result.userErrors.map((e: any) => e.field.join('.')).sort()).toEqual(
      [
        'definition.actions.0.type',
        'definition.actions.1.if.field',
        'definition.conditions.any.0.field',
        'definition.conditions.any.1.op',
      ].sort(),
    );
    await nothingSaved(ws);
  });

  it('refuses hostile names and a huge definition', async () => {
    const ws = await server.newWorkspace();
    const named = await ws.gql(CREATE_RULE, {
      input: { name: 'evil\u0007name', definition: { trigger: contactTrigger, actions: [{ type: 'logNote', body: 'x' }] } },
    });
    // control characters are refused before the resolver (test/hardening/hostile-strings.test.ts), in the definition too
    expect(named.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    const nul = await ws.gql(CREATE_RULE, {
      input: {
        name: 'ok',
        definition: {
          trigger: contactTrigger,
          conditions: { field: 'firstName', op: 'eq', value: 'A\u0000B' },
          actions: [{ type: 'logNote', body: 'x' }],
        },
      },
    });
    expect(nul.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.definition.conditions.value' });
    const many = Array.from({ length: 60 }, () => ({ type: 'logNote', body: 'x'.repeat(10) }));
    const huge = await create(ws, { trigger: contactTrigger, actions: many });
    expect(huge.userErrors[0]).toMatchObject({ field: ['definition', 'actions'], code: 'BAD_USER_INPUT' });
    await nothingSaved(ws);
  });

  it('refuses a condition on a field hidden from the author (FORBIDDEN) and a member without automation:manage', async () => {
    const ws = await server.newWorkspace();
    await ws.ok(`mutation($input: CreateCustomFieldInput!) { createCustomField(input: $input) { userErrors { message } } }`, {
      input: { objectType: 'Contact', key: 'tier', label: 'Tier', type: 'TEXT' },
    });
    const role = await ws.ok(`mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } userErrors { message } } }`, {
      i: {
        name: 'Automator',
        grants: [{ permission: 'automation:manage', scope: 'ALL' }],
        fieldAllowlist: { Contact: ['emails', 'primaryEmail'] },
      },
    });
    const automator = await ws.addMember('Automator', MembershipRole.READ_ONLY);
    await sqlOf(server).execute(`update membership set role = ? where workspace_id = ? and user_id = ?`, [
      role.createRole.role.id,
      ws.id,
      automator.id,
    ]);
    const asAutomator = { gql: (q: string, v?: unknown) => server.gql(q, v, automator.headers) };
    const hidden = await create(asAutomator, {
      trigger: contactTrigger,
      conditions: { field: 'custom.tier', op: 'eq', value: 'gold' },
      actions: [{ type: 'logNote', body: 'x' }],
    });
    expect(hidden.userErrors).toEqual([
      { field: ['definition', 'conditions', 'field'], message: expect.stringMatching(/hidden/), code: 'FORBIDDEN' },
    ]);
    const visible = await create(asAutomator, {
      trigger: contactTrigger,
      conditions: { field: 'email', op: 'endsWith', value: '@example.com' },
      actions: [{ type: 'logNote', body: 'x' }],
    });
    expect(visible.userErrors).toEqual([]);
    // the catalog leaves the hidden field out for them, and shows it to the admin
    const catalogOf = async (gql: (q: string) => Promise<any>) =>
      (await gql(`{ automationCatalog { recordTypes { name fields { path kind operators } } actions { type module } } }`)).data
        .automationCatalog;
    const theirs = await catalogOf((q) => server.gql(q, undefined, automator.headers));
    const admins = await catalogOf((q) => ws.gql(q));
    const paths = (c: any) => c.recordTypes.find((r: any) => r.name === 'Contact').fields.map((f: any) => f.path);
    expect(paths(theirs)).not.toContain('custom.tier');
    expect(paths(admins)).toContain('custom.tier');
    expect(admins.actions.map((a: any) => a.type)).toEqual(
      expect.arrayContaining(['updateFields', 'assignOwner', 'createTask', 'callWebhook', 'wait', 'branch']),
    );

    const sales = await ws.addMember('Sally');
    const refused = await server.gql(
      CREATE_RULE,
      { input: { name: 'x', definition: { trigger: contactTrigger, actions: [{ type: 'logNote', body: 'x' }] } } },
      sales.headers,
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await server.count('automation_rule', ws.id)).toBe(1);
  });
});

describe('testing a rule on a record', () => {
  it('reports what each step did, stops at the first wait, and writes nothing', async () => {
    const ws = await server.newWorkspace();
    // only the rule's own step posts to it (other files' outbox workers share a PostgreSQL test database)
    const endpoint = await makeEndpoint(ws, { url: 'https://hooks.example.com/crm', eventTypes: ['automation.webhook'] });
    const ruleId = await makeRule(ws, {
      name: 'Onboard',
      definition: {
        trigger: { type: 'recordEntersState', recordType: 'Contact', field: 'lifecycleStage', value: 'CUSTOMER' },
        actions: [
          { type: 'updateFields', fields: { jobTitle: 'Customer champion' } },
          {
            type: 'branch',
            if: { field: 'jobTitle', op: 'eq', value: 'Customer champion' },
            actions: [{ type: 'addTags', tags: ['champion'] }],
            otherwise: [{ type: 'logNote', body: 'no' }],
          },
          { type: 'callWebhook', endpointId: endpoint.id },
          { type: 'wait', days: 3 },
          { type: 'createTask', subject: 'Never reached' },
        ],
      },
    });
    const contact = await createContact(ws, { firstName: 'Dry', lastName: 'Run' });
    const before = {
      contact: await sqlOf(server).execute(`select job_title, version from contact where workspace_id = ?`, [ws.id]),
      events: await server.count('outbox_event', ws.id),
      tags: await server.count('tag', ws.id),
      deliveries: await server.count('webhook_delivery', ws.id),
      activities: await server.count('activity', ws.id),
      audit: await server.count('audit_log', ws.id),
    };
    const test = `mutation($input: TestAutomationRuleInput!) { testAutomationRule(input: $input) { result { conditionsMet status resumeAt error steps { path action outcome output error } } userErrors { field message code } } }`;
    const { testAutomationRule } = await ws.ok(test, { input: { ruleId, recordId: contact.id } });
    expect(testAutomationRule.userErrors).toEqual([]);
    const result = testAutomationRule.result;
    expect(result).toMatchObject({ conditionsMet: true, status: 'WAITING', error: null });
    expect(result.steps.map((s: any) => [s.path, s.action, s.outcome])).toEqual([
      ['actions[0]', 'updateFields', 'succeeded'],
      ['actions[1]', 'branch', 'succeeded'],
      ['actions[1].actions[0]', 'addTags', 'succeeded'],
      ['actions[2]', 'callWebhook', 'succeeded'],
      ['actions[3]', 'wait', 'waiting'],
    ]);
    expect(result.steps[1].output).toEqual({ took: 'actions' });
    expect(new Date(result.resumeAt).getTime()).toBeGreaterThan(Date.now() + 2.9 * 86_400_000);
    expect({
      contact: await sqlOf(server).execute(`select job_title, version from contact where workspace_id = ?`, [ws.id]),
      events: await server.count('outbox_event', ws.id),
      tags: await server.count('tag', ws.id),
      deliveries: await server.count('webhook_delivery', ws.id),
      activities: await server.count('activity', ws.id),
      audit: await server.count('audit_log', ws.id),
    }).toEqual(before);
    expect(await server.count('automation_run', ws.id)).toBe(0);

    const wrongRecord = (await ws.ok(test, { input: { ruleId, recordId: ruleId } })).testAutomationRule;
    expect(wrongRecord.userErrors).toEqual([{ field: ['recordId'], message: 'must be the id of a Contact', code: 'BAD_USER_INPUT' }]);
    const failing = (
      await ws.ok(test, {
        input: {
          definition: {
            trigger: contactTrigger,
            actions: [
              { type: 'updateFields', fields: { firstName: null, lastName: null } },
              { type: 'logNote', body: 'after' },
            ],
          },
          recordId: contact.id,
        },
      })
    ).testAutomationRule.result;
    // the kernel's own validation refuses the write: the step fails with its message and the run stops there
    expect(failing.status).toBe('FAILED');
    expect(failing.steps).toEqual([
      { path: 'actions[0]', action: 'updateFields', outcome: 'failed', output: null, error: expect.stringMatching(/first name/) },
    ]);
    expect(failing.error).toMatch(/^actions\[0\] \(updateFields\): /);
  });
});
