import { jest } from '@jest/globals';
import { TestClock } from 'pg-boss';
import campaigns from '../../../plugins/campaigns/plugin.js';
import { startPluginServer, tickUntil, until, type PluginTestServer, type PluginTestWorkspace } from '../../../src/sdk/testing.js';
import { TestSmtp } from '../../email/smtp.js';
import { count, createContact, createTemplate, rawId } from './helpers.js';

/**
 * Sequences end to end: GraphQL definitions and enrollments → the plugin's step jobs on the real queue (pg-boss on the
 * test clock) → the kernel's sendEmail → a real SMTP server; segment entry through the outbox.
 */
jest.setTimeout(180_000);

const DAY = 86_400_000;
const clock = new TestClock(Date.now());
let server: PluginTestServer;
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await new TestSmtp().start();
  server = await startPluginServer([campaigns], {
    env: { SMTP_URL: smtp.url, MAIL_FROM: 'Acme <news@acme.example>' },
    jobQueue: { clock, email: true, automation: true },
  });
  await server.startOutboxWorker({ pollMs: 20 });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

const ERRORS = 'userErrors { field message code }';
const SEQUENCE_FIELDS = `id name status timeZone version triggerSegmentId exitOn { unsubscribed becameCustomer enteredSegmentId }
  steps { type templateId waitMinutes untilWeekdays untilTime branchOn emailStep rules thenStep elseStep taskSubject field value }
  enrollmentCounts { active completed exited }`;
const CREATE = `mutation($i: CreateCampaignSequenceInput!) { createCampaignSequence(input: $i) { sequence { ${SEQUENCE_FIELDS} } ${ERRORS} } }`;
const ENROLL = `mutation($i: EnrollInSequenceInput!) { enrollInSequence(input: $i) {
  results { contactId outcome enrollment { id status stepIndex source } } ${ERRORS} } }`;

async function workspace(): Promise<PluginTestWorkspace & { domain: string }> {
  const ws = await server.newWorkspace();
  await ws.enable('campaigns');
  return Object.assign(ws, { domain: `@${ws.id.slice(0, 8)}.example` });
}

const person = (ws: { domain: string } & PluginTestWorkspace, firstName: string, extra: Record<string, unknown> = {}) =>
  createContact(ws, { firstName, emails: [{ email: `${firstName.toLowerCase()}${ws.domain}`, primary: true }], ...extra });

async function createSequence(ws: PluginTestWorkspace, input: Record<string, unknown>) {
  const { createCampaignSequence } = await ws.ok(CREATE, { i: { name: 'Drip', ...input } });
  expect(createCampaignSequence.userErrors).toEqual([]);
  return createCampaignSequence.sequence as { id: string; version: number };
}

const enroll = async (ws: PluginTestWorkspace, sequenceId: string, contactIds: string[]) =>
  (await ws.ok(ENROLL, { i: { sequenceId, contactIds } })).enrollInSequence;

const mailsTo = (domain: string) => smtp.received.filter((m) => m.to.some((t) => t.endsWith(domain)));

interface EnrollmentRow {
  id: string;
  contact_id: string;
  status: string;
  step_index: number;
  next_run_at: Date | string | null;
  exit_reason: string | null;
  source: string;
}
const enrollmentsOf = async (sequenceId: string): Promise<EnrollmentRow[]> =>
  server.orm.em
    .getConnection()
    .execute(
      `select id, contact_id, status, step_index, next_run_at, exit_reason, source from campaign_sequence_enrollment where sequence_id = ? order by created_at, id`,
      [rawId(sequenceId)],
    );
const stepRuns = async (enrollmentId: string) =>
  (await server.orm.em
    .getConnection()
    .execute(`select step_index, kind, outcome, detail from campaign_sequence_step_run where enrollment_id = ? order by step_index`, [
      enrollmentId,
    ])) as { step_index: number; kind: string; outcome: string; detail: unknown }[];

/** Moves the clock until `check` holds (a minute at a time: the sweep's cron and the workers' polls follow). */
const tickTill = (check: () => Promise<boolean>) => tickUntil(clock, until(check), 2000);
/** Lets the queue run what is due now (small steps: a long tick replays every poll it passes). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await clock.tick(2000);
};

test('a contact entering the trigger segment is enrolled and receives the first email; a wait of 3 days holds the next', async () => {
  const ws = await workspace();
  const ann = await person(ws, 'Ann');
  const first = await createTemplate(ws, { subject: 'Welcome {{ contact.firstName }}', source: '<p>Step one</p>' });
  const second = await createTemplate(ws, { subject: 'Three days later', source: '<p>Step two</p>' });
  const list = (await ws.ok(`mutation { createCampaignSegment(input: { name: "Signups", kind: STATIC }) { segment { id } ${ERRORS} } }`))
    .createCampaignSegment.segment.id as string;
  const sequence = await createSequence(ws, {
    triggerSegmentId: list,
    steps: [
      { type: 'SEND_EMAIL', templateId: first.id },
      { type: 'WAIT', waitDays: 3 },
      { type: 'SEND_EMAIL', templateId: second.id },
    ],
  });
  await ws.ok(`mutation($i: CampaignListMembersInput!) { addCampaignListMembers(input: $i) { changed ${ERRORS} } }`, {
    i: { segmentId: list, contactIds: [ann] },
  });
  await tickTill(async () => mailsTo(ws.domain).length === 1);
  expect(mailsTo(ws.domain).map((m) => [m.to[0], m.subject])).toEqual([[`ann${ws.domain}`, 'Welcome Ann']]);
  const [enrollment] = await enrollmentsOf(sequence.id);
  expect(enrollment).toMatchObject({ status: 'active', step_index: 2, source: 'segment' });
  const due = new Date(enrollment!.next_run_at!).getTime();
  expect(due - clock.now()).toBeGreaterThan(3 * DAY - 10 * 60_000);
  // the message is on the contact's timeline with the step as its source
  const [message] = await server.orm.em
    .getConnection()
    .execute(`select source from email_message where workspace_id = ? and contact_id = ?`, [ws.id, rawId(ann)]);
  expect(message.source).toBe(`sequence:${enrollment!.id}:0`);

  // two days on (the sweep runs every minute): nothing
  await clock.setTime(clock.now() + 2 * DAY);
  await settle();
  expect(mailsTo(ws.domain)).toHaveLength(1);
  // past the three days: the second email, then the enrollment is completed
  await clock.setTime(due + 1000);
  await tickTill(async () => mailsTo(ws.domain).length === 2 && (await enrollmentsOf(sequence.id))[0]!.status === 'completed');
  expect(mailsTo(ws.domain)[1]!.subject).toBe('Three days later');
  expect((await stepRuns(enrollment!.id)).map((r) => [r.step_index, r.kind, r.outcome])).toEqual([
    [0, 'send_email', 'sent'],
    [1, 'wait', 'waited'],
    [2, 'send_email', 'sent'],
  ]);
  const { campaignSequence } = await ws.ok(
    `query($id: ID!) { campaignSequence(id: $id) { enrollmentCounts { active completed exited }
    enrollments(first: 10) { edges { node { contactId status stepIndex source contact { firstName } history { stepIndex type outcome } } } } } }`,
    {
      id: sequence.id,
    },
  );
  expect(campaignSequence.enrollmentCounts).toEqual({ active: 0, completed: 1, exited: 0 });
  expect(campaignSequence.enrollments.edges[0].node).toMatchObject({
    contactId: ann,
    status: 'COMPLETED',
    stepIndex: 3,
    source: 'SEGMENT',
    contact: { firstName: 'Ann' },
  });
  expect(campaignSequence.enrollments.edges[0].node.history.map((h: { outcome: string }) => h.outcome)).toEqual(['sent', 'waited', 'sent']);
});

test('a branch on a condition takes each contact its way; an update-field step sets the field', async () => {
  const ws = await workspace();
  const ann = await person(ws, 'Ann');
  const bob = await person(ws, 'Bob');
  const template = await createTemplate(ws, { subject: 'For everyone', source: '<p>All</p>' });
  const sequence = await createSequence(ws, {
    steps: [
      { type: 'BRANCH', branchOn: 'RULES', rules: { field: 'firstName', op: 'eq', value: 'Ann' }, thenStep: 1, elseStep: 2 },
      { type: 'UPDATE_FIELD', field: 'JOB_TITLE', value: 'Chosen one' },
      { type: 'SEND_EMAIL', templateId: template.id },
    ],
  });
  const { results } = await enroll(ws, sequence.id, [ann, bob]);
  expect(results.map((r: { outcome: string }) => r.outcome)).toEqual(['ENROLLED', 'ENROLLED']);
  await tickTill(async () => mailsTo(ws.domain).length === 2);
  const jobTitle = async (id: string) => (await ws.ok(`query($id: ID!) { contact(id: $id) { jobTitle } }`, { id })).contact.jobTitle;
  expect(await jobTitle(ann)).toBe('Chosen one');
  expect(await jobTitle(bob)).toBeNull();
  const [annE, bobE] = [...(await enrollmentsOf(sequence.id))].sort((a, b) =>
    a.contact_id === rawId(ann) ? -1 : b.contact_id === rawId(ann) ? 1 : 0,
  );
  expect((await stepRuns(annE!.id)).map((r) => [r.step_index, r.outcome, r.detail])).toEqual([
    [0, 'branched', { held: true }],
    [1, 'done', { field: 'jobTitle', value: 'Chosen one' }],
    [2, 'sent', null],
  ]);
  expect((await stepRuns(bobE!.id)).map((r) => [r.step_index, r.outcome])).toEqual([
    [0, 'branched'],
    [2, 'sent'],
  ]);
  expect(
    mailsTo(ws.domain)
      .map((m) => m.to[0])
      .sort(),
  ).toEqual([`ann${ws.domain}`, `bob${ws.domain}`]);
});

test('an engagement branch reads the step’s send row: without an open it takes the else step', async () => {
  const ws = await workspace();
  const ann = await person(ws, 'Ann');
  const template = await createTemplate(ws, { source: '<p>Did you open me?</p>' });
  const sequence = await createSequence(ws, {
    steps: [
      { type: 'SEND_EMAIL', templateId: template.id },
      { type: 'BRANCH', branchOn: 'OPENED', emailStep: 0, thenStep: 2, elseStep: 3 },
      { type: 'UPDATE_FIELD', field: 'SOURCE', value: 'opened' },
      { type: 'UPDATE_FIELD', field: 'SOURCE', value: 'did not open' },
    ],
  });
  await enroll(ws, sequence.id, [ann]);
  await tickTill(async () => (await enrollmentsOf(sequence.id))[0]!.status === 'completed');
  const [enrollment] = await enrollmentsOf(sequence.id);
  expect((await stepRuns(enrollment!.id)).map((r) => [r.step_index, r.outcome])).toEqual([
    [0, 'sent'],
    [1, 'branched'],
    [3, 'done'],
  ]);
  expect((await ws.ok(`query($id: ID!) { contact(id: $id) { source } }`, { id: ann })).contact.source).toBe('did not open');
});

test('a task step creates a task assigned to the contact’s owner, on the contact', async () => {
  const ws = await workspace();
  const owner = `User:${ws.userId}`;
  const ann = await person(ws, 'Ann', { ownerId: Buffer.from(owner).toString('base64url') });
  const sequence = await createSequence(ws, { steps: [{ type: 'CREATE_TASK', taskSubject: 'Call Ann back', taskDueInDays: 2 }] });
  await enroll(ws, sequence.id, [ann]);
  await tickTill(async () => (await enrollmentsOf(sequence.id))[0]!.status === 'completed');
  const tasks = await server.orm.em
    .getConnection()
    .execute(`select id, subject, assignee_id, due_at from activity where workspace_id = ? and type = 'TASK'`, [ws.id]);
  expect(tasks).toHaveLength(1);
  expect(tasks[0]).toMatchObject({ subject: 'Call Ann back', assignee_id: ws.userId });
  const { contact } = await ws.ok(`query($id: ID!) { contact(id: $id) { activities(first: 5) { nodes { subject } } } }`, {
    id: ann,
  });
  expect(contact.activities.nodes.map((n: { subject: string }) => n.subject)).toEqual(['Call Ann back']);
});

test('a contact who becomes a customer exits: no further mail', async () => {
  const ws = await workspace();
  const ann = await person(ws, 'Ann');
  const template = await createTemplate(ws, { source: '<p>Nurture</p>' });
  const sequence = await createSequence(ws, {
    exitOn: { becameCustomer: true },
    steps: [
      { type: 'SEND_EMAIL', templateId: template.id },
      { type: 'WAIT', waitDays: 1 },
      { type: 'SEND_EMAIL', templateId: template.id },
    ],
  });
  await enroll(ws, sequence.id, [ann]);
  await tickTill(async () => mailsTo(ws.domain).length === 1);
  const { contact } = await ws.ok(`query($id: ID!) { contact(id: $id) { version } }`, { id: ann });
  const updated = await ws.ok(`mutation($i: UpdateContactInput!) { updateContact(input: $i) { ${ERRORS} } }`, {
    i: { id: ann, version: contact.version, lifecycleStage: 'CUSTOMER' },
  });
  expect(updated.updateContact.userErrors).toEqual([]);
  await clock.setTime(clock.now() + DAY + 60_000);
  await tickTill(async () => (await enrollmentsOf(sequence.id))[0]!.status === 'exited');
  expect((await enrollmentsOf(sequence.id))[0]).toMatchObject({ exit_reason: 'became_customer', step_index: 2 });
  await settle();
  expect(mailsTo(ws.domain)).toHaveLength(1);
});

test('pausing holds the enrollments; resuming runs the step that came due meanwhile, once', async () => {
  const ws = await workspace();
  const ann = await person(ws, 'Ann');
  const template = await createTemplate(ws, { source: '<p>After the pause</p>' });
  const sequence = await createSequence(ws, {
    steps: [
      { type: 'WAIT', waitHours: 12 },
      { type: 'SEND_EMAIL', templateId: template.id },
    ],
  });
  await enroll(ws, sequence.id, [ann]);
  await tickTill(async () => (await enrollmentsOf(sequence.id))[0]!.step_index === 1);
  const paused = await ws.ok(`mutation($id: ID!) { pauseCampaignSequence(input: { id: $id }) { sequence { status } ${ERRORS} } }`, {
    id: sequence.id,
  });
  expect(paused.pauseCampaignSequence).toEqual({ sequence: { status: 'PAUSED' }, userErrors: [] });
  await clock.setTime(clock.now() + DAY);
  await settle();
  expect(mailsTo(ws.domain)).toHaveLength(0);
  expect((await enrollmentsOf(sequence.id))[0]).toMatchObject({ status: 'active', step_index: 1 });

  const resumed = await ws.ok(`mutation($id: ID!) { resumeCampaignSequence(input: { id: $id }) { sequence { status } ${ERRORS} } }`, {
    id: sequence.id,
  });
  expect(resumed.resumeCampaignSequence).toEqual({ sequence: { status: 'ACTIVE' }, userErrors: [] });
  await tickTill(async () => (await enrollmentsOf(sequence.id))[0]!.status === 'completed');
  await settle();
  expect(mailsTo(ws.domain)).toHaveLength(1);
  expect(
    await count(server, `select count(*) from campaign_sequence_step_run where enrollment_id = ?`, [
      (await enrollmentsOf(sequence.id))[0]!.id,
    ]),
  ).toBe(2);
});

test('archiving exits the active enrollments', async () => {
  const ws = await workspace();
  const ann = await person(ws, 'Ann');
  const sequence = await createSequence(ws, {
    steps: [
      { type: 'WAIT', waitDays: 5 },
      { type: 'CREATE_TASK', taskSubject: 'Never' },
    ],
  });
  await enroll(ws, sequence.id, [ann]);
  const { archiveCampaignSequence } = await ws.ok(
    `mutation($id: ID!) { archiveCampaignSequence(input: { id: $id }) { sequence { status enrollmentCounts { active exited } } ${ERRORS} } }`,
    { id: sequence.id },
  );
  expect(archiveCampaignSequence.sequence).toEqual({ status: 'ARCHIVED', enrollmentCounts: { active: 0, exited: 1 } });
  expect((await enrollmentsOf(sequence.id))[0]).toMatchObject({ status: 'exited', exit_reason: 'archived' });
  const again = await enroll(ws, sequence.id, [ann]);
  expect(again.userErrors).toEqual([expect.objectContaining({ field: ['sequenceId'], code: 'CONFLICT' })]);
});

test('one active enrollment per contact and sequence: the second is ALREADY_ENROLLED; unknown contacts NOT_FOUND', async () => {
  const ws = await workspace();
  const ann = await person(ws, 'Ann');
  const sequence = await createSequence(ws, {
    steps: [
      { type: 'WAIT', waitDays: 5 },
      { type: 'CREATE_TASK', taskSubject: 'Later' },
    ],
  });
  const first = await enroll(ws, sequence.id, [ann]);
  expect(first.results).toEqual([
    { contactId: ann, outcome: 'ENROLLED', enrollment: expect.objectContaining({ status: 'ACTIVE', source: 'MANUAL' }) },
  ]);
  const other = await workspace();
  const stranger = await person(other, 'Stranger');
  const second = await enroll(ws, sequence.id, [ann, stranger]);
  expect(second).toEqual({
    results: [
      { contactId: ann, outcome: 'ALREADY_ENROLLED', enrollment: null },
      { contactId: stranger, outcome: 'NOT_FOUND', enrollment: null },
    ],
    userErrors: [],
  });
  expect(await count(server, `select count(*) from campaign_sequence_enrollment where sequence_id = ?`, [rawId(sequence.id)])).toBe(1);
});

test('an automation rule enrolls the contact (campaigns.enrollInSequence)', async () => {
  const ws = await workspace();
  const sequence = await createSequence(ws, {
    steps: [
      { type: 'WAIT', waitDays: 5 },
      { type: 'CREATE_TASK', taskSubject: 'Later' },
    ],
  });
  const rule = await ws.ok(`mutation($i: CreateAutomationRuleInput!) { createAutomationRule(input: $i) { rule { id } ${ERRORS} } }`, {
    i: {
      name: 'Enroll new contacts',
      definition: {
        trigger: { type: 'event', event: 'contact.created' },
        actions: [{ type: 'campaigns.enrollInSequence', sequenceId: sequence.id }],
      },
    },
  });
  expect(rule.createAutomationRule.userErrors).toEqual([]);
  const ann = await person(ws, 'Ann');
  await tickTill(async () => (await enrollmentsOf(sequence.id)).length === 1);
  expect((await enrollmentsOf(sequence.id))[0]).toMatchObject({ contact_id: rawId(ann), source: 'automation', status: 'active' });
});

test('bad definitions are refused with typed errors and nothing is written', async () => {
  const ws = await workspace();
  const template = await createTemplate(ws, { source: '<p>Ok</p>' });
  const otherWs = await workspace();
  const foreignTemplate = await createTemplate(otherWs, { source: '<p>Theirs</p>' });
  const send = { type: 'SEND_EMAIL', templateId: template.id };
  const cases: [Record<string, unknown>, { field: string[]; code: string }[]][] = [
    [{ steps: [] }, [{ field: ['steps'], code: 'BAD_USER_INPUT' }]],
    [{ steps: Array.from({ length: 51 }, () => send) }, [{ field: ['steps'], code: 'BAD_USER_INPUT' }]],
    [{ steps: [{ type: 'SEND_EMAIL', templateId: foreignTemplate.id }] }, [{ field: ['steps', '0', 'templateId'], code: 'NOT_FOUND' }]],
    [{ steps: [send, { type: 'WAIT', waitMinutes: 0 }] }, [{ field: ['steps', '1', 'waitMinutes'], code: 'BAD_USER_INPUT' }]],
    [{ steps: [{ type: 'WAIT', waitDays: 400 }] }, [{ field: ['steps', '0', 'waitMinutes'], code: 'BAD_USER_INPUT' }]],
    [{ steps: [{ type: 'WAIT', untilTime: '25:00' }] }, [{ field: ['steps', '0', 'untilTime'], code: 'BAD_USER_INPUT' }]],
    [{ steps: [{ type: 'WAIT', waitDays: 1, untilTime: '09:00' }] }, [{ field: ['steps', '0'], code: 'BAD_USER_INPUT' }]],
    [
      { steps: [{ type: 'BRANCH', branchOn: 'OPENED', emailStep: 0, elseStep: 0 }, send] },
      [
        { field: ['steps', '0', 'elseStep'], code: 'BAD_USER_INPUT' },
        { field: ['steps', '0', 'emailStep'], code: 'BAD_USER_INPUT' },
      ],
    ],
    [
      { steps: [{ type: 'BRANCH', branchOn: 'RULES', rules: { field: 'shoeSize', op: 'eq', value: 1 }, elseStep: 1 }] },
      [{ field: ['steps', '0', 'rules', 'field'], code: 'BAD_USER_INPUT' }],
    ],
    [{ steps: [{ type: 'CREATE_TASK', taskSubject: '  ' }] }, [{ field: ['steps', '0', 'taskSubject'], code: 'BAD_USER_INPUT' }]],
    [
      { steps: [{ type: 'UPDATE_FIELD', field: 'LIFECYCLE_STAGE', value: 'KING' }] },
      [{ field: ['steps', '0', 'value'], code: 'BAD_USER_INPUT' }],
    ],
    [
      { triggerSegmentId: Buffer.from(`CampaignSegment:${crypto.randomUUID()}`).toString('base64url'), steps: [send] },
      [{ field: ['triggerSegmentId'], code: 'NOT_FOUND' }],
    ],
    [{ timeZone: 'Mars/Olympus', steps: [send] }, [{ field: ['timeZone'], code: 'BAD_USER_INPUT' }]],
  ];
  for (const [input, expected] of cases) {
    const { createCampaignSequence } = await ws.ok(CREATE, { i: { name: 'Bad', ...input } });
    expect([
      createCampaignSequence.sequence,
      createCampaignSequence.userErrors.map((e: { field: string[]; code: string }) => ({ field: e.field, code: e.code })),
    ]).toEqual([null, expected]);
  }
  expect(await count(server, `select count(*) from campaign_sequence where workspace_id = ?`, [ws.id])).toBe(0);
});

test('hostile names are refused: NUL, control characters, 100k characters; nothing written', async () => {
  const ws = await workspace();
  const steps = [{ type: 'WAIT', waitMinutes: 5 }];
  for (const name of ['bad\u0000name', 'bell\u0007', 'line\nbreak']) {
    const result = await ws.gql(CREATE, { i: { name, steps } });
    const refused = result.errors?.[0]?.extensions?.code ?? result.data?.createCampaignSequence?.userErrors?.[0]?.code;
    expect([name, refused]).toEqual([name, 'BAD_USER_INPUT']);
  }
  const { createCampaignSequence } = await ws.ok(CREATE, { i: { name: 'x'.repeat(100_000), steps } });
  expect(createCampaignSequence.userErrors).toEqual([
    { field: ['name'], message: 'must be at most 200 characters', code: 'BAD_USER_INPUT' },
  ]);
  expect(await count(server, `select count(*) from campaign_sequence where workspace_id = ?`, [ws.id])).toBe(0);
});
