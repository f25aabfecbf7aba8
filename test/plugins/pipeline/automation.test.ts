import { randomUUID } from 'node:crypto';
import { TestClock } from 'pg-boss';
import { enqueueJob, toGlobalId } from '../../../src/sdk/index.js';
import { startPluginServer, tickUntil, until, type PluginTestServer, type PluginTestWorkspace } from '../../../src/sdk/testing.js';
import pipeline from '../../../plugins/pipeline/plugin.js';
import { rottingJob } from '../../../plugins/pipeline/automation/index.js';

/**
 * The pipeline automation end to end: deal.won delivered by the outbox worker to the kernel's automation, which runs
 * the plugin's three default rules (contact becomes a customer, company gets an account manager, follow-up task) on
 * the job queue, once per event; the rotting job run by
 * the kernel's job queue (one reminder per deal and stay, across runs and concurrent runs). PGlite in memory, or
 * PostgreSQL with TEST_DATABASE_URL.
 */

const RULES = ['pipeline/won-deal-account-manager', 'pipeline/won-deal-contact-customer', 'pipeline/won-deal-follow-up-task'];
const clock = new TestClock(Date.now());

let server: PluginTestServer;

const exec = <T = any[]>(text: string, params: unknown[] = []): Promise<T> => server.orm.em.getConnection().execute(text, params);
const count = async (text: string, params: unknown[]) => Number((await exec<{ n: number }[]>(text, params))[0]!.n);

beforeAll(async () => {
  server = await startPluginServer([pipeline], { jobQueue: { clock, automation: true } });
  await server.startOutboxWorker();
});
afterAll(async () => {
  await server?.close();
});

interface Board {
  pipelineId: string;
  stages: Record<'Lead' | 'Proposal' | 'Negotiation' | 'Won' | 'Lost', string>;
}

/** A pipeline with rotting limits: Lead 5 days, Proposal 7 days, Negotiation none. */
async function board(workspaceId: string): Promise<Board> {
  const pipelineId = randomUUID();
  await exec(
    `insert into pipeline (id, workspace_id, created_at, updated_at, name, position, is_default) values (?, ?, now(), now(), 'Sales', 0, true)`,
    [pipelineId, workspaceId],
  );
  const stages = {} as Board['stages'];
  const defs: [keyof Board['stages'], number, string, number | null][] = [
    ['Lead', 10, 'open', 5],
    ['Proposal', 50, 'open', 7],
    ['Negotiation', 80, 'open', null],
    ['Won', 100, 'won', null],
    ['Lost', 0, 'lost', null],
  ];
  for (const [i, [name, probability, kind, rottingDays]] of defs.entries()) {
    stages[name] = randomUUID();
    await exec(
      `insert into pipeline_stage (id, workspace_id, created_at, updated_at, pipeline_id, name, position, probability, kind, rotting_days) values (?, ?, now(), now(), ?, ?, ?, ?, ?, ?)`,
      [stages[name], workspaceId, pipelineId, name, i, probability, kind, rottingDays],
    );
  }
  return { pipelineId, stages };
}

async function insertDeal(
  workspaceId: string,
  b: Board,
  d: {
    name: string;
    stage: keyof Board['stages'];
    ownerId: string | null;
    companyId?: string | null;
    daysInStage?: number;
    contactId?: string | null;
    deleted?: boolean;
  },
): Promise<string> {
  const id = randomUUID();
  const status = d.stage === 'Won' ? 'won' : d.stage === 'Lost' ? 'lost' : 'open';
  await exec(
    `insert into deal (id, workspace_id, created_at, updated_at, name, amount, currency, owner_id, company_id, pipeline_id, stage_id, status, stage_entered_at, closed_at, deleted_at)
     values (?, ?, now() - interval '30 days', now(), ?, 120000, 'EUR', ?, ?, ?, ?, ?, now() - make_interval(days => ?), ?, ?)`,
    [
      id,
      workspaceId,
      d.name,
      d.ownerId,
      d.companyId ?? null,
      b.pipelineId,
      b.stages[d.stage],
      status,
      d.daysInStage ?? 0,
      status === 'open' ? null : new Date(),
      d.deleted ? new Date() : null,
    ],
  );
  if (d.contactId) {
    await exec(
      `insert into deal_contact (workspace_id, deal_id, contact_id, role, is_primary, position) values (?, ?, ?, 'Buyer', true, 0)`,
      [workspaceId, id, d.contactId],
    );
  }
  return id;
}

const MARK_WON = `mutation($i: CloseDealInput!) { markDealWon(input: $i) { deal { status } userErrors { field message code } } }`;

/** Marks the deal won through the plugin's mutation (it emits deal.won in its transaction); returns the event's id. */
async function winDeal(ws: PluginTestWorkspace, dealId: string): Promise<string> {
  const [{ version }] = await exec<[{ version: number }]>(`select version from deal where id = ?`, [dealId]);
  const data = await ws.ok(MARK_WON, { i: { id: toGlobalId('Deal', dealId), version: Number(version) } });
  expect(data.markDealWon).toEqual({ deal: { status: 'WON' }, userErrors: [] });
  const [event] = await exec<{ id: string }[]>(
    `select id from outbox_event where workspace_id = ? and type = 'deal.won' and payload->>'id' = ?`,
    [ws.id, dealId],
  );
  return event!.id;
}

const MOVE = `mutation($i: MoveDealToStageInput!) { moveDealToStage(input: $i) { userErrors { field message code } } }`;

/** Moves the deal with the plugin's mutation, then dates its arrival in the stage `daysAgo` days back. */
async function moveTo(ws: PluginTestWorkspace, dealId: string, stageId: string, daysAgo: number) {
  const [{ version }] = await exec<[{ version: number }]>(`select version from deal where id = ?`, [dealId]);
  const data = await ws.ok(MOVE, {
    i: { id: toGlobalId('Deal', dealId), version: Number(version), stageId: toGlobalId('PipelineStage', stageId) },
  });
  expect(data.moveDealToStage.userErrors).toEqual([]);
  await exec(`update deal set stage_entered_at = now() - make_interval(days => ?) where id = ?`, [daysAgo, dealId]);
}

/** The automation runs an event started (rule source, status), once the outbox delivered it and every run finished. */
async function settled(eventId: string): Promise<{ source: string; status: string }[]> {
  const runsOf = () =>
    exec<{ source: string; status: string }[]>(
      `select r.source, run.status from automation_run run join automation_rule r on r.id = run.rule_id
        where run.trigger->>'eventId' = ? order by r.source`,
      [eventId],
    );
  const done = async () => {
    const [delivery] = await exec<{ status: string }[]>(
      `select status from outbox_delivery where event_id = ? and subscriber = 'kernel/automation'`,
      [eventId],
    );
    return delivery?.status === 'delivered' && (await runsOf()).every((r) => !['queued', 'running'].includes(r.status));
  };
  await tickUntil(clock, until(done), 1000);
  return runsOf();
}

const tasksOn = (workspaceId: string, dealId: string) =>
  exec<{ id: string; subject: string; assignee_id: string | null; due_at: Date; created_at: Date; created_by_id: string | null }[]>(
    `select a.id, a.subject, a.assignee_id, a.due_at, a.created_at, a.created_by_id from activity a
     join timeline_link l on l.entry_id = a.id and l.entry_kind = 'activity'
     where a.workspace_id = ? and a.type = 'TASK' and a.deleted_at is null and l.target_type = 'Deal' and l.target_id = ?
     order by a.created_at, a.id`,
    [workspaceId, dealId],
  );

const CREATE_CONTACT = `mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } userErrors { message } } }`;
const CREATE_COMPANY = `mutation($i: CreateCompanyInput!) { createCompany(input: $i) { company { id } userErrors { message } } }`;
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1]!;

async function contact(ws: PluginTestWorkspace, firstName: string, lifecycleStage = 'LEAD'): Promise<string> {
  const data = await ws.ok(CREATE_CONTACT, { i: { firstName, lifecycleStage } });
  expect(data.createContact.userErrors).toEqual([]);
  return uuidOf(data.createContact.contact.id);
}
async function company(ws: PluginTestWorkspace, name: string, ownerId: string | null): Promise<string> {
  const data = await ws.ok(CREATE_COMPANY, { i: { name, ownerId: ownerId ? toGlobalId('User', ownerId) : null } });
  expect(data.createCompany.userErrors).toEqual([]);
  return uuidOf(data.createCompany.company.id);
}
const contactRow = async (id: string) =>
  (await exec<{ lifecycle_stage: string; version: number }[]>(`select lifecycle_stage, version from contact where id = ?`, [id]))[0]!;
const companyOwner = async (id: string) =>
  (await exec<{ owner_id: string | null }[]>(`select owner_id from company where id = ?`, [id]))[0]!.owner_id;

describe('on deal.won (through the outbox)', () => {
  let ws: PluginTestWorkspace;
  let samId: string;
  let b: Board;

  beforeAll(async () => {
    ws = await server.newWorkspace();
    samId = (await ws.addMember('Sam Seller', 'SALES')).id;
    b = await board(ws.id);
  });

  it('makes the primary contact a customer, gives an ownerless company the deal owner, and creates one follow-up task; a redelivery changes nothing', async () => {
    const lena = await contact(ws, 'Lena');
    const acme = await company(ws, 'Acme', null);
    const dealId = await insertDeal(ws.id, b, {
      name: 'Acme renewal',
      stage: 'Negotiation',
      ownerId: samId,
      companyId: acme,
      contactId: lena,
    });

    const eventId = await winDeal(ws, dealId);
    expect(await settled(eventId)).toEqual(RULES.map((source) => ({ source, status: 'succeeded' })));

    expect((await contactRow(lena)).lifecycle_stage).toBe('CUSTOMER');
    expect(await companyOwner(acme)).toBe(samId);
    const tasks = await tasksOn(ws.id, dealId);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ subject: 'Follow up on won deal: Acme renewal', assignee_id: samId, created_by_id: null });
    // due in 3 days (the rule's dueInDays), on the queue's clock
    expect(new Date(tasks[0]!.due_at).getTime() - clock.now()).toBeGreaterThanOrEqual(3 * 86_400_000 - 120_000);
    expect(new Date(tasks[0]!.due_at).getTime() - clock.now()).toBeLessThanOrEqual(3 * 86_400_000 + 60_000);
    // the task is on the company's timeline too
    expect(
      await count(`select count(*)::int as n from timeline_link where entry_id = ? and target_type = 'Company' and target_id = ?`, [
        tasks[0]!.id,
        acme,
      ]),
    ).toBe(1);

    // undo the effects by hand, then deliver the same event again: every rule already ran for it
    await exec(`update contact set lifecycle_stage = 'LEAD' where id = ?`, [lena]);
    await exec(`update company set owner_id = null where id = ?`, [acme]);
    await exec(
      `update outbox_delivery set status = 'pending', next_attempt_at = now(), delivered_at = null where event_id = ? and subscriber = 'kernel/automation'`,
      [eventId],
    );
    expect(await settled(eventId)).toHaveLength(3);
    expect((await contactRow(lena)).lifecycle_stage).toBe('LEAD');
    expect(await companyOwner(acme)).toBeNull();
    expect(await tasksOn(ws.id, dealId)).toHaveLength(1);
  });

  it('keeps a company’s existing owner and does not touch a contact who already is a customer', async () => {
    const kai = await contact(ws, 'Kai', 'CUSTOMER');
    const before = await contactRow(kai);
    const globex = await company(ws, 'Globex', ws.userId);
    const dealId = await insertDeal(ws.id, b, {
      name: 'Globex expansion',
      stage: 'Proposal',
      ownerId: samId,
      companyId: globex,
      contactId: kai,
    });

    // the first two rules' conditions do not hold: only the task rule runs
    expect(await settled(await winDeal(ws, dealId))).toEqual([{ source: 'pipeline/won-deal-follow-up-task', status: 'succeeded' }]);
    expect(await contactRow(kai)).toEqual(before); // same stage, same version: no update
    expect(await companyOwner(globex)).toBe(ws.userId);
    expect(await tasksOn(ws.id, dealId)).toHaveLength(1);
  });

  it('a deal without company or contact only gets its follow-up task', async () => {
    const dealId = await insertDeal(ws.id, b, { name: 'Walk-in', stage: 'Lead', ownerId: samId });
    await settled(await winDeal(ws, dealId));
    const tasks = await tasksOn(ws.id, dealId);
    expect(tasks.map((t) => t.assignee_id)).toEqual([samId]);
    expect(await count(`select count(*)::int as n from timeline_link where entry_id = ?`, [tasks[0]!.id])).toBe(1);
  });

  it('are ordinary rules: an admin switches one off and deletes another, which does not come back', async () => {
    const listed = await ws.ok(`{ automationRules(first: 20) { nodes { id source enabled version definition } } }`);
    const bySource = new Map(listed.automationRules.nodes.map((r: any) => [r.source, r]));
    expect([...bySource.keys()].sort()).toEqual(RULES);
    const task: any = bySource.get('pipeline/won-deal-follow-up-task');
    const manager: any = bySource.get('pipeline/won-deal-account-manager');
    const off = await ws.ok(
      `mutation($input: UpdateAutomationRuleInput!) { updateAutomationRule(input: $input) { rule { enabled } userErrors { message } } }`,
      { input: { id: task.id, version: task.version, enabled: false } },
    );
    expect(off.updateAutomationRule).toEqual({ rule: { enabled: false }, userErrors: [] });
    const deleted = await ws.ok(`mutation($id: ID!) { deleteAutomationRule(id: $id) { deletedId userErrors { message } } }`, {
      id: manager.id,
    });
    expect(deleted.deleteAutomationRule.userErrors).toEqual([]);

    const mia = await contact(ws, 'Mia');
    const initech = await company(ws, 'Initech', null);
    const dealId = await insertDeal(ws.id, b, {
      name: 'Initech pilot',
      stage: 'Proposal',
      ownerId: samId,
      companyId: initech,
      contactId: mia,
    });
    expect(await settled(await winDeal(ws, dealId))).toEqual([{ source: 'pipeline/won-deal-contact-customer', status: 'succeeded' }]);
    expect((await contactRow(mia)).lifecycle_stage).toBe('CUSTOMER');
    expect(await companyOwner(initech)).toBeNull();
    expect(await tasksOn(ws.id, dealId)).toEqual([]);
    const again = await ws.ok(`{ automationRules(first: 20) { nodes { source } } }`);
    expect(again.automationRules.nodes.map((r: any) => r.source).sort()).toEqual([
      'pipeline/won-deal-contact-customer',
      'pipeline/won-deal-follow-up-task',
    ]);
  });
});

describe('the rotting job (through the job queue)', () => {
  let ws: PluginTestWorkspace;
  let samId: string;
  let b: Board;
  /** `times` runs of the job in the workspace, enqueued as code would, run by the server's worker. */
  const run = async (workspaceId: string, times = 1) => {
    const spy = server.jobQueue.boss.getSpy('pipeline/rotting-reminders');
    const ids = await Promise.all(
      Array.from({ length: times }, () => enqueueJob({ em: server.appOrm.em.fork() }, rottingJob, {}, { workspaceId })),
    );
    await tickUntil(clock, Promise.all(ids.map((id) => spy.waitForJobWithId(id!, 'completed'))));
  };

  const reminders = (dealId: string) =>
    exec<{ stage_id: string; task_id: string | null }[]>(
      `select stage_id, task_id from deal_rotting_reminder where deal_id = ? order by created_at`,
      [dealId],
    );
  const rottingEvents = (dealId: string) =>
    exec<{ payload: { id: string; stageId: string; days: number } }[]>(
      `select payload from outbox_event where type = 'deal.rotting' and payload->>'id' = ? order by occurred_at`,
      [dealId],
    );

  beforeAll(async () => {
    ws = await server.newWorkspace();
    samId = (await ws.addMember('Sam Stale', 'SALES')).id;
    b = await board(ws.id);
  });

  it('reminds once per deal and stay in a stage, across runs and concurrent runners; a new stay rots again', async () => {
    const stale = await insertDeal(ws.id, b, { name: 'Stale proposal', stage: 'Proposal', ownerId: samId, daysInStage: 10 });
    const fresh = await insertDeal(ws.id, b, { name: 'Fresh proposal', stage: 'Proposal', ownerId: samId, daysInStage: 6 });
    const noLimit = await insertDeal(ws.id, b, { name: 'Slow negotiation', stage: 'Negotiation', ownerId: samId, daysInStage: 90 });
    const won = await insertDeal(ws.id, b, { name: 'Closed long ago', stage: 'Won', ownerId: samId, daysInStage: 90 });
    const trashed = await insertDeal(ws.id, b, { name: 'Trashed', stage: 'Lead', ownerId: samId, daysInStage: 90, deleted: true });

    await run(ws.id);
    const [task] = await tasksOn(ws.id, stale);
    expect(task).toMatchObject({ subject: 'Deal "Stale proposal" has been in Proposal for 10 days', assignee_id: samId });
    expect(await reminders(stale)).toEqual([{ stage_id: b.stages.Proposal, task_id: task!.id }]);
    expect((await rottingEvents(stale)).map((e) => e.payload)).toEqual([{ id: stale, stageId: b.stages.Proposal, days: 10 }]);
    for (const id of [fresh, noLimit, won, trashed]) {
      expect(await tasksOn(ws.id, id)).toEqual([]);
      expect(await reminders(id)).toEqual([]);
    }

    // again, and two runs at once: nothing new
    await run(ws.id);
    await run(ws.id, 2);
    expect(await tasksOn(ws.id, stale)).toHaveLength(1);
    expect(await reminders(stale)).toHaveLength(1);
    expect(await rottingEvents(stale)).toHaveLength(1);

    // the deal moves to Lead (limit 5 days) and has stayed 6 days there: a new stay, a second reminder
    await moveTo(ws, stale, b.stages.Lead, 6);
    await run(ws.id, 2);
    expect((await tasksOn(ws.id, stale)).map((t) => t.subject)).toEqual([
      'Deal "Stale proposal" has been in Proposal for 10 days',
      'Deal "Stale proposal" has been in Lead for 6 days',
    ]);
    expect((await reminders(stale)).map((r) => r.stage_id)).toEqual([b.stages.Proposal, b.stages.Lead]);

    // back into Proposal: a new stay in the same stage rots again once
    await moveTo(ws, stale, b.stages.Proposal, 8);
    await run(ws.id);
    await run(ws.id);
    expect(await tasksOn(ws.id, stale)).toHaveLength(3);
    expect((await rottingEvents(stale)).map((e) => e.payload.days)).toEqual([10, 6, 8]);
    // the owner is notified once per stay too (the SDK's notify), about the deal
    const notes = await exec<{ title: string; record_type: string; record_id: string }[]>(
      `select title, record_type, record_id from notification where user_id = ? and type = 'deal.rotting' order by created_at`,
      [samId],
    );
    expect(notes.map((n) => n.title)).toEqual([
      'Deal "Stale proposal" has been in Proposal for 10 days',
      'Deal "Stale proposal" has been in Lead for 6 days',
      'Deal "Stale proposal" has been in Proposal for 8 days',
    ]);
    expect(notes.every((n) => n.record_type === 'Deal' && n.record_id === stale)).toBe(true);
  });

  it('does nothing when rottingReminders is off', async () => {
    const other = await server.newWorkspace();
    const ob = await board(other.id);
    const dealId = await insertDeal(other.id, ob, { name: 'Forgotten', stage: 'Proposal', ownerId: other.userId, daysInStage: 30 });
    await other.ok(`mutation($i: UpdateModuleSettingsInput!) { updateModuleSettings(input: $i) { userErrors { message } } }`, {
      i: { id: 'pipeline', settings: { rottingReminders: false } },
    });
    await run(other.id);
    expect(await tasksOn(other.id, dealId)).toEqual([]);
    expect(await count(`select count(*)::int as n from deal_rotting_reminder where workspace_id = ?`, [other.id])).toBe(0);
  });
});
