import { startPluginServer, tickUntil, type PluginTestServer, type PluginTestWorkspace } from '../../src/sdk/testing.js';
import { enqueueJob } from '../../src/sdk/index.js';
import { rottingJob } from '../../plugins/pipeline/automation/index.js';
import { TestClock } from 'pg-boss';
import { kernelEntities } from '../../src/app/kernel-entities.js';
import pipeline from '../../plugins/pipeline/plugin.js';
import loyalty from '../../examples/loyalty/plugin.js';
import { createDeal, createPipeline, stageByName } from '../plugins/pipeline/helpers.js';

/**
 * uninstallModule: the host removes the workspace's data of the plugin — its timeline entries, every timeline link
 * to its records, custom field definitions on its record types, the deliveries to its subscribers, its job runs and
 * its own rows (tables from its entities' metadata) — and nothing else: kernel records, other plugins' rows and other
 * workspaces' rows stay. Counted in the database (as its owner). The pipeline plugin has no onUninstall of its own.
 */

const ERRORS = 'userErrors { field message code }';
const UNINSTALL = `mutation($id: ID!) { uninstallModule(input: { id: $id }) { module { id enabled } ${ERRORS} } }`;

const clock = new TestClock(Date.now());
let server: PluginTestServer;
let a: PluginTestWorkspace;
let b: PluginTestWorkspace;

const exec = <T = Record<string, unknown>[]>(q: string, params: unknown[] = []) =>
  server.orm.em.getConnection().execute(q, params) as Promise<T>;

/** Tables of entities, with a workspace_id column, read from the ORM's metadata (no hand-kept list). */
function tablesOf(entities: Function[]): string[] {
  const metadata = server.orm.getMetadata();
  const tables = new Set<string>();
  for (const entity of entities) {
    const meta = metadata.find(entity);
    if (!meta) continue;
    const metas = [meta, ...meta.props.filter((p: any) => p.pivotEntity && p.owner).map((p: any) => metadata.find(p.pivotEntity))];
    for (const m of metas) if (m.props.some((p: any) => p.fieldNames?.[0] === 'workspace_id')) tables.add(m.tableName);
  }
  return [...tables].sort();
}

/** Rows per table of the workspace, plus the kinds uninstalling pipeline removes from kernel tables. */
async function counts(workspaceId: string): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  const count = async (name: string, q: string) => {
    result[name] = Number((await exec<{ n: number }[]>(q, [workspaceId]))[0]!.n);
  };
  for (const table of [...tablesOf(kernelEntities), ...tablesOf(pipeline.entities!), ...tablesOf(loyalty.entities!)]) {
    await count(table, `select count(*)::int as n from "${table}" where workspace_id = ?`);
  }
  await count(
    'pipeline: timeline_event',
    `select count(*)::int as n from timeline_event where workspace_id = ? and entry_type like 'deal.%'`,
  );
  await count(
    'pipeline: timeline_link',
    `select count(*)::int as n from timeline_link where workspace_id = ? and (target_type in ('Deal', 'Pipeline', 'PipelineStage') or (entry_kind = 'event' and entry_type like 'deal.%'))`,
  );
  await count(
    'pipeline: timeline_link of activities',
    `select count(*)::int as n from timeline_link where workspace_id = ? and entry_kind = 'activity' and target_type = 'Deal'`,
  );
  await count(
    'pipeline: custom_field_definition',
    `select count(*)::int as n from custom_field_definition where workspace_id = ? and object_type = 'Deal'`,
  );
  await count(
    'pipeline: automation_rule',
    `select count(*)::int as n from automation_rule where workspace_id = ? and source like 'pipeline/%'`,
  );
  await count('pipeline: automation_run', `select count(*)::int as n from automation_run where workspace_id = ? and record_type = 'Deal'`);
  let queued = 0;
  for (const name of server.app.jobs.queuesOf('pipeline'))
    queued += (await server.jobQueue.boss.findJobs(name, { data: { workspaceId }, queued: true })).length;
  result['pipeline: queued_job'] = queued;
  return result;
}

/** A workspace with data of every kind: kernel records, pipeline records linked to them, loyalty points. */
async function seed(ws: PluginTestWorkspace): Promise<void> {
  await ws.enable('acme-loyalty');
  const company = (await ws.ok(`mutation { createCompany(input: { name: "Acme" }) { company { id } ${ERRORS} } }`)).createCompany.company
    .id;
  const tag = (await ws.ok(`mutation { createTag(input: { name: "Hot" }) { tag { id } ${ERRORS} } }`)).createTag.tag.id;
  const contact = (
    await ws.ok(
      `mutation($c: ID!, $t: ID!) { createContact(input: { firstName: "Ann", companyId: $c, tagIds: [$t] }) { contact { id } ${ERRORS} } }`,
      { c: company, t: tag },
    )
  ).createContact.contact.id;
  for (const objectType of ['Deal', 'Contact']) {
    const field = await ws.ok(
      `mutation($o: String!) { createCustomField(input: { objectType: $o, key: "region", label: "Region", type: TEXT }) { ${ERRORS} } }`,
      { o: objectType },
    );
    expect(field.createCustomField.userErrors).toEqual([]);
  }
  const p = await createPipeline(ws);
  const deal = await createDeal(ws, {
    name: 'Big deal',
    pipelineId: p.id,
    companyId: company,
    contacts: [{ contactId: contact, role: 'Buyer', isPrimary: true }],
    tagIds: [tag],
    customFields: { region: 'EU' },
  });
  await createDeal(ws, { name: 'Stale deal', pipelineId: p.id, stageId: stageByName(p, 'Lead').id });
  const moved = await ws.ok(`mutation($i: MoveDealToStageInput!) { moveDealToStage(input: $i) { ${ERRORS} } }`, {
    i: { id: deal.id, stageId: stageByName(p, 'Qualified').id, version: deal.version },
  });
  expect(moved.moveDealToStage.userErrors).toEqual([]);
  const [{ version }] = await exec<[{ version: number }]>(`select version from deal where workspace_id = ? and name = 'Big deal'`, [ws.id]);
  const won = await ws.ok(`mutation($i: CloseDealInput!) { markDealWon(input: $i) { ${ERRORS} } }`, {
    i: { id: deal.id, version: Number(version) },
  });
  expect(won.markDealWon.userErrors).toEqual([]);
  // an activity on the deal and the contact: uninstalling pipeline keeps it, on the contact only
  const logged = await ws.ok(`mutation($t: [ID!]!) { logActivity(input: { type: CALL, subject: "Call", targetIds: $t }) { ${ERRORS} } }`, {
    t: [deal.id, contact],
  });
  expect(logged.logActivity.userErrors).toEqual([]);
  const award = await ws.ok(`mutation($c: ID!) { awardLoyaltyPoints(input: { contactId: $c, points: 5 }) { ${ERRORS} } }`, { c: contact });
  expect(award.awardLoyaltyPoints.userErrors).toEqual([]);
  // the rotting job (a reminder and a task on the deal), and a run of it queued for tomorrow
  await exec(`update deal set stage_entered_at = now() - interval '30 days' where workspace_id = ? and name = 'Stale deal'`, [ws.id]);
  const ran = await enqueueJob({ em: server.appOrm.em.fork() }, rottingJob, {}, { workspaceId: ws.id });
  await tickUntil(clock, server.jobQueue.boss.getSpy('pipeline/rotting-reminders').waitForJobWithId(ran!, 'completed'));
  await enqueueJob({ em: server.appOrm.em.fork() }, rottingJob, {}, { workspaceId: ws.id, startAfter: new Date(clock.now() + 86_400_000) });
}

beforeAll(async () => {
  server = await startPluginServer([pipeline, loyalty], { jobQueue: { clock } });
  a = await server.newWorkspace();
  b = await server.newWorkspace();
  await seed(a);
  await seed(b);
  // deliver the events (deal.won to the automation — pipeline's default rules start runs —, activity.logged to loyalty's)
  const worker = await server.startOutboxWorker({ pollMs: 20 });
  const until = Date.now() + 15_000;
  while (Number((await exec<{ n: number }[]>(`select count(*)::int as n from outbox_delivery where status = 'pending'`))[0]!.n) > 0) {
    if (Date.now() > until) throw new Error('outbox deliveries still pending');
    await new Promise((r) => setTimeout(r, 25));
  }
  await worker.stop();
}, 120_000);

afterAll(async () => {
  await server?.close();
});

it('uninstalling pipeline removes every kind of its rows in the workspace, and only those', async () => {
  const beforeA = await counts(a.id);
  const beforeB = await counts(b.id);
  const pipelineTables = tablesOf(pipeline.entities!);
  const removedKinds = Object.keys(beforeA).filter((k) => k.startsWith('pipeline: '));
  // the test can fail: there is something of every kind to remove
  expect(pipelineTables).toEqual([
    'deal',
    'deal_contact',
    'deal_rotting_reminder',
    'deal_stage_history',
    'deal_tag',
    'pipeline',
    'pipeline_stage',
  ]);
  for (const key of [...pipelineTables, ...removedKinds]) expect([key, beforeA[key]! > 0]).toEqual([key, true]);
  expect(beforeA.loyalty_account).toBe(1);
  // loyalty's handled events stay (pipeline has no subscribers: its won-deal automation is default rules)
  expect(beforeA.processed_event!).toBeGreaterThan(0);
  expect(beforeA.automation_default_rule).toBe(3);

  const data = await a.ok(UNINSTALL, { id: 'pipeline' });
  expect(data.uninstallModule).toEqual({ module: { id: 'pipeline', enabled: false }, userErrors: [] });

  const afterA = await counts(a.id);
  const expected: Record<string, number> = { ...beforeA };
  for (const table of pipelineTables) expected[table] = 0;
  for (const kind of removedKinds) expected[kind] = 0;
  // the kernel tables lose exactly the rows of those kinds
  expected.timeline_event = beforeA.timeline_event! - beforeA['pipeline: timeline_event']!;
  expected.timeline_link = beforeA.timeline_link! - beforeA['pipeline: timeline_link']!;
  expected.custom_field_definition = beforeA.custom_field_definition! - beforeA['pipeline: custom_field_definition']!;
  // the default rules go with their versions and runs (the Deal runs here are theirs), and the record of having had them
  expected.automation_rule = beforeA.automation_rule! - beforeA['pipeline: automation_rule']!;
  expected.automation_rule_version = beforeA.automation_rule_version! - beforeA['pipeline: automation_rule']!;
  expected.automation_run = beforeA.automation_run! - beforeA['pipeline: automation_run']!;
  expected.automation_default_rule = 0;
  // the uninstall itself: the module row (pipeline is enabled by default: it had none) and its audit entry
  expected.workspace_module = beforeA.workspace_module! + 1;
  expected.audit_log = beforeA.audit_log! + 1;
  expect(afterA).toEqual(expected);
  const [audit] = await exec<{ action: string; object_type: string }[]>(
    `select action, object_type from audit_log where workspace_id = ? order by occurred_at desc limit 1`,
    [a.id],
  );
  expect(audit).toEqual({ action: 'workspaceModule.created', object_type: 'WorkspaceModule' });
  expect(await counts(b.id)).toEqual(beforeB);

  // the activity logged on the deal and the contact is still on the contact's timeline
  const links = await exec<{ target_type: string }[]>(
    `select l.target_type from timeline_link l join activity x on x.id = l.entry_id where l.workspace_id = ? and x.subject = 'Call' order by 1`,
    [a.id],
  );
  expect(links.map((l) => l.target_type)).toEqual(['Contact']);
  // the workspace's settings are forgotten; re-enabling starts empty
  await a.enable('pipeline');
  expect((await a.ok(`{ deals { totalCount } }`)).deals.totalCount).toBe(0);
});

it('uninstalling is one transaction: a failure on the last table leaves every row of the plugin in place', async () => {
  // a trigger refusing deletes from pipeline (the last table, after the kernel kinds and the deals)
  await exec(
    `create function refuse_pipeline_delete() returns trigger language plpgsql as $$ begin raise exception 'refused by test'; end $$`,
  );
  await exec(`create trigger refuse_pipeline_delete before delete on pipeline for each row execute function refuse_pipeline_delete()`);
  try {
    const before = await counts(b.id);
    const res = await b.gql(UNINSTALL, { id: 'pipeline' });
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(await counts(b.id)).toEqual(before);
    expect((await b.ok(`{ modules { id enabled } }`)).modules).toContainEqual({ id: 'pipeline', enabled: true });
  } finally {
    await exec(`drop trigger refuse_pipeline_delete on pipeline`);
    await exec(`drop function refuse_pipeline_delete()`);
  }
});
