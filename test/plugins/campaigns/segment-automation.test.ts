import { TestClock } from 'pg-boss';
import { startPluginServer, tickUntil, until, type PluginTestServer } from '../../../src/sdk/testing.js';
import campaigns from '../../../plugins/campaigns/plugin.js';
import { refreshSegmentsJob } from '../../../plugins/campaigns/segments/follow-changes.js';
import { enqueueJob } from '../../../src/sdk/index.js';

/**
 * Segment entry as an automation trigger: `segment.entered` is about the contact (the plugin's `eventRecords`), so a
 * rule's conditions read the contact's fields and its actions change the contact. Outbox worker and job queue with an
 * injected clock.
 */

const clock = new TestClock(Date.now());
let server: PluginTestServer;

beforeAll(async () => {
  server = await startPluginServer([campaigns], { jobQueue: { clock, automation: true } });
  await server.startOutboxWorker({ pollMs: 20 });
});
afterAll(async () => {
  await server?.close();
});

const ERRORS = `userErrors { field message code }`;
const tagsOf = async (ws: { ok: (q: string, v?: Record<string, unknown>) => Promise<any> }, id: string) =>
  ((await ws.ok(`query($id: ID!) { contact(id: $id) { tags { name } } }`, { id })).contact.tags as { name: string }[]).map((t) => t.name);

it('runs a rule triggered by segment.entered on the contact that entered', async () => {
  const ws = await server.newWorkspace();
  await ws.enable('campaigns');
  const create = async (firstName: string) =>
    (await ws.ok(`mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } ${ERRORS} } }`, { i: { firstName } }))
      .createContact.contact.id as string;
  const ann = await create('Ann');
  const bob = await create('Bob');
  const list = (await ws.ok(`mutation { createCampaignSegment(input: { name: "VIP", kind: STATIC }) { segment { id } ${ERRORS} } }`))
    .createCampaignSegment.segment.id as string;
  const rule = await ws.ok(`mutation($i: CreateAutomationRuleInput!) { createAutomationRule(input: $i) { rule { id } ${ERRORS} } }`, {
    i: {
      name: 'Welcome VIPs',
      definition: {
        trigger: { type: 'event', event: 'segment.entered' },
        conditions: { all: [{ field: 'firstName', op: 'eq', value: 'Ann' }] },
        actions: [{ type: 'addTags', tags: ['vip-welcome'] }],
      },
    },
  });
  expect(rule.createAutomationRule.userErrors).toEqual([]);
  await ws.ok(`mutation($i: CampaignListMembersInput!) { addCampaignListMembers(input: $i) { changed ${ERRORS} } }`, {
    i: { segmentId: list, contactIds: [ann, bob] },
  });
  await tickUntil(
    clock,
    until(async () => (await tagsOf(ws, ann)).includes('vip-welcome')),
    1000,
  );
  // Bob entered too, but the condition on the contact's first name held only for Ann
  const runs = await server.orm.em
    .getConnection()
    .execute(`select status, record_id from automation_run where workspace_id = ? order by created_at`, [ws.id]);
  expect(runs).toHaveLength(1);
  expect(await tagsOf(ws, bob)).toEqual([]);
});

it('re-evaluates time-based segments on the queue’s clock ("no activity for 30 days")', async () => {
  const ws = await server.newWorkspace();
  await ws.enable('campaigns');
  const create = async (firstName: string) =>
    (await ws.ok(`mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } ${ERRORS} } }`, { i: { firstName } }))
      .createContact.contact.id as string;
  const ann = await create('Ann');
  const bob = await create('Bob');
  const logged = await ws.ok(`mutation($i: LogActivityInput!) { logActivity(input: $i) { ${ERRORS} } }`, {
    i: { type: 'CALL', subject: 'Intro call', occurredAt: new Date(Date.now() - 29.5 * 86_400_000).toISOString(), targetIds: [bob] },
  });
  expect(logged.logActivity.userErrors).toEqual([]);
  const segment = (
    await ws.ok(`mutation($i: CreateCampaignSegmentInput!) { createCampaignSegment(input: $i) { segment { id memberCount } ${ERRORS} } }`, {
      i: { name: 'Dormant', kind: 'DYNAMIC', rules: { fact: 'activity.none', params: { days: 30 } } },
    })
  ).createCampaignSegment.segment;
  expect(segment.memberCount).toBe(1);
  const memberIds = async () =>
    (
      await server.orm.em
        .getConnection()
        .execute(`select contact_id from campaign_segment_member where segment_id = ? order by contact_id`, [
          Buffer.from(segment.id, 'base64url').toString().split(':')[1],
        ])
    ).map((r: { contact_id: string }) => r.contact_id);
  const raw = (id: string) => Buffer.from(id, 'base64url').toString().split(':')[1]!;
  expect(await memberIds()).toEqual([raw(ann)]);
  // a day on, Bob's call (29½ days old when the segment was saved) is older than 30 days: the scheduled refresh (run here at once) lets him in
  await clock.setTime(clock.now() + 86_400_000);
  const id = await enqueueJob({ em: server.appOrm.em.fork() }, refreshSegmentsJob, {}, { workspaceId: ws.id });
  await tickUntil(clock, server.jobQueue.boss.getSpy('campaigns/refresh-segments').waitForJobWithId(id!, 'completed'));
  expect((await memberIds()).sort()).toEqual([raw(ann), raw(bob)].sort());
});
