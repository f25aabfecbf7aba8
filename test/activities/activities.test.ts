import {
  ActivitySeedCompanyDocument,
  ActivitySeedContactDocument,
  CompleteTaskDocument,
  DeleteActivityDocument,
  LogActivityDocument,
  ReopenTaskDocument,
  RestoreActivityDocument,
  TaskListDocument,
  TimelineDocument,
  UpdateActivityDocument,
} from '../generated/graphql.js';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { kernelNodeTypes } from '../../src/graphql/node-registry.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

let server: TestServer;
let ws: TestWorkspace;
let companyId: string;
let contactId: string;

beforeAll(async () => {
  server = await startTestServer();
  ws = await server.newWorkspace();
  companyId = (await ws.ok(ActivitySeedCompanyDocument, { name: 'Acme' })).createCompany.company!.id;
  contactId = (await ws.ok(ActivitySeedContactDocument, { firstName: 'Wile' })).createContact.contact!.id;
});
afterAll(() => server.close());

const counts = async (w: TestWorkspace = ws) => ({
  activity: await server.count('activity', w.id),
  links: await server.count('timeline_link', w.id),
});

describe('activities', () => {
  it('logs a call on a company and a contact, visible on both timelines', async () => {
    const res = await ws.ok(LogActivityDocument, {
      input: {
        type: 'CALL',
        subject: '  Intro call ',
        body: 'Talked about the roadmap',
        occurredAt: '2026-03-01T10:00:00.000Z',
        durationSeconds: 900,
        direction: 'OUTBOUND',
        outcome: 'Interested',
        targetIds: [companyId, contactId],
      },
    });
    expect(res.logActivity.userErrors).toEqual([]);
    const activity = res.logActivity.activity!;
    expect(activity).toMatchObject({
      type: 'CALL',
      entryType: 'CALL',
      subject: 'Intro call',
      occurredAt: '2026-03-01T10:00:00.000Z',
      durationSeconds: 900,
      direction: 'OUTBOUND',
      dueAt: null,
      isOverdue: false,
      version: 1,
      createdBy: { name: 'Ada Admin' },
      commentCount: 0,
    });
    expect(activity.targets).toEqual([
      { targetType: 'Company', targetId: companyId, target: { id: companyId, name: 'Acme' } },
      { targetType: 'Contact', targetId: contactId, target: { id: contactId } },
    ]);
    for (const targetId of [companyId, contactId]) {
      const timeline = await ws.ok(TimelineDocument, { targetId });
      expect(timeline.timeline.edges.map((e) => e.node.id)).toContain(activity.id);
    }
  });

  it('logs on a plugin record type through its node loader', async () => {
    // what a plugin does for its own records (deals, tickets…)
    class Gadget {}
    const gadgetId = '0badcafe-0000-4000-8000-000000000001';
    kernelNodeTypes.register({ typeName: 'Gadget', rootClass: Gadget, load: async (_ctx, id) => (id === gadgetId ? new Gadget() : null) });
    const gadget = toGlobalId('Gadget', gadgetId);
    const LOG = `mutation($input: LogActivityInput!) { logActivity(input: $input) { activity { id targets { targetType targetId } } userErrors { field code } } }`;
    const ok = await ws.ok(LOG, { input: { type: 'NOTE', subject: 'On a gadget', targetIds: [gadget, companyId] } });
    expect(ok.logActivity.activity.targets).toEqual([
      { targetType: 'Company', targetId: companyId },
      { targetType: 'Gadget', targetId: gadget },
    ]);
    expect((await ws.ok(TimelineDocument, { targetId: gadget })).timeline.totalCount).toBe(1);
    const before = await counts();
    const missing = await ws.ok(LOG, {
      input: { type: 'NOTE', subject: 'x', targetIds: [toGlobalId('Gadget', '0badcafe-0000-4000-8000-000000000002')] },
    });
    expect(missing.logActivity.userErrors).toEqual([{ field: ['targetIds', '0'], code: 'NOT_FOUND' }]);
    const unknownType = await ws.ok(LOG, { input: { type: 'NOTE', subject: 'x', targetIds: [toGlobalId('Widget', gadgetId)] } });
    expect(unknownType.logActivity.userErrors).toEqual([{ field: ['targetIds', '0'], code: 'BAD_USER_INPUT' }]);
    expect(await counts()).toEqual(before);
  });

  it('replays a log with the same idempotency key', async () => {
    const input = { type: 'NOTE' as const, subject: 'Once', targetIds: [companyId], idempotencyKey: 'note-1' };
    const first = (await ws.ok(LogActivityDocument, { input })).logActivity.activity!;
    const before = await counts();
    const again = (await ws.ok(LogActivityDocument, { input })).logActivity.activity!;
    expect(again.id).toBe(first.id);
    expect(await counts()).toEqual(before);
  });

  it('rejects bad input naming the field, and writes nothing', async () => {
    const other = await server.newWorkspace();
    const foreignCompany = (await other.ok(ActivitySeedCompanyDocument, { name: 'Foreign' })).createCompany.company!.id;
    const missingCompany = toGlobalId('Company', '00000000-0000-4000-8000-000000000000');
    const before = await counts();
    const base = { type: 'CALL' as const, subject: 'Call', targetIds: [companyId] };
    const cases: [Record<string, unknown>, string[], string][] = [
      [{ targetIds: [companyId, missingCompany] }, ['targetIds', '1'], 'NOT_FOUND'],
      [{ targetIds: [foreignCompany] }, ['targetIds', '0'], 'NOT_FOUND'],
      [{ targetIds: ['not-an-id'] }, ['targetIds', '0'], 'BAD_USER_INPUT'],
      [{ targetIds: [toGlobalId('Tag', '00000000-0000-4000-8000-000000000000')] }, ['targetIds', '0'], 'BAD_USER_INPUT'],
      [{ targetIds: [] }, ['targetIds'], 'BAD_USER_INPUT'],
      [{ targetIds: Array.from({ length: 51 }, () => companyId) }, ['targetIds'], 'BAD_USER_INPUT'],
      [{ dueAt: '2026-05-01T00:00:00.000Z' }, ['dueAt'], 'BAD_USER_INPUT'],
      [{ priority: 'HIGH' }, ['priority'], 'BAD_USER_INPUT'],
      [{ durationSeconds: -1 }, ['durationSeconds'], 'BAD_USER_INPUT'],
      [{ subject: '   ' }, ['subject'], 'BAD_USER_INPUT'],
      [{ subject: 'x'.repeat(501) }, ['subject'], 'BAD_USER_INPUT'],
      [{ body: 'x'.repeat(10 * 1024 * 1024) }, ['body'], 'BAD_USER_INPUT'],
      [{ assigneeId: toGlobalId('User', '00000000-0000-4000-8000-000000000000') }, ['assigneeId'], 'NOT_FOUND'],
    ];
    for (const [patch, field, code] of cases) {
      const res = await ws.gql(LogActivityDocument, { input: { ...base, ...patch } as never });
      expect(res.errors).toBeUndefined();
      expect(res.data!.logActivity.activity).toBeNull();
      expect(res.data!.logActivity.userErrors[0]).toMatchObject({ field, code });
    }
    expect(await counts()).toEqual(before);
  });

  it('updates with optimistic locking, keeps timeline copies in step and replaces targets', async () => {
    const { id } = (
      await ws.ok(LogActivityDocument, {
        input: { type: 'MEETING', subject: 'Demo', occurredAt: '2026-01-01T09:00:00.000Z', targetIds: [companyId] },
      })
    ).logActivity.activity!;
    const updated = await ws.ok(UpdateActivityDocument, {
      input: { id, version: 1, type: 'CALL', occurredAt: '2020-06-01T09:00:00.000Z' },
    });
    expect(updated.updateActivity.activity).toMatchObject({ type: 'CALL', version: 2, occurredAt: '2020-06-01T09:00:00.000Z' });

    const oldest = await ws.ok(TimelineDocument, { targetId: companyId, last: 1 });
    expect(oldest.timeline.edges[0]!.node).toMatchObject({ id, entryType: 'CALL', occurredAt: '2020-06-01T09:00:00.000Z' });
    const calls = await ws.ok(TimelineDocument, { targetId: companyId, types: ['MEETING'] });
    expect(calls.timeline.edges.map((e) => e.node.id)).not.toContain(id);

    const before = await counts();
    const stale = await ws.ok(UpdateActivityDocument, { input: { id, version: 1, subject: 'Stale', targetIds: [contactId] } });
    expect(stale.updateActivity.userErrors).toEqual([expect.objectContaining({ field: ['version'], code: 'CONFLICT' })]);
    const taskField = await ws.ok(UpdateActivityDocument, { input: { id, version: 2, priority: 'HIGH' } });
    expect(taskField.updateActivity.userErrors).toEqual([expect.objectContaining({ field: ['priority'], code: 'BAD_USER_INPUT' })]);
    const badTarget = await ws.ok(UpdateActivityDocument, {
      input: { id, version: 2, subject: 'Changed', targetIds: [toGlobalId('Contact', '00000000-0000-4000-8000-000000000000')] },
    });
    expect(badTarget.updateActivity.userErrors).toEqual([expect.objectContaining({ field: ['targetIds', '0'], code: 'NOT_FOUND' })]);
    expect(await counts()).toEqual(before);

    const moved = await ws.ok(UpdateActivityDocument, { input: { id, version: 2, targetIds: [contactId] } });
    expect(moved.updateActivity.activity!.targets.map((t) => t.targetId)).toEqual([contactId]);
    expect(moved.updateActivity.activity!.subject).toBe('Demo');
    const companyTimeline = await ws.ok(TimelineDocument, { targetId: companyId, first: 100 });
    expect(companyTimeline.timeline.edges.map((e) => e.node.id)).not.toContain(id);
  });

  it('completes and reopens tasks; lists open, overdue and completed tasks', async () => {
    const tw = await server.newWorkspace();
    const company = (await tw.ok(ActivitySeedCompanyDocument, { name: 'Tasks Inc' })).createCompany.company!.id;
    const bob = await tw.addMember('Bob Builder');
    const log = async (subject: string, dueAt: string | null) =>
      (
        await tw.ok(LogActivityDocument, {
          input: { type: 'TASK', subject, dueAt, priority: 'HIGH', assigneeId: toGlobalId('User', bob.id), targetIds: [company] },
        })
      ).logActivity.activity!;
    const late = await log('Send proposal', '2020-01-01T00:00:00.000Z');
    const soon = await log('Follow up', '2999-01-01T00:00:00.000Z');
    await tw.ok(LogActivityDocument, { input: { type: 'CALL', subject: 'Not a task', targetIds: [company] } });
    expect(late).toMatchObject({ isOverdue: true, priority: 'HIGH', assignee: { name: 'Bob Builder' } });
    expect(soon.isOverdue).toBe(false);

    const overdue = await tw.ok(TaskListDocument, { filter: { overdue: true } });
    expect(overdue.activities.nodes.map((n) => n.subject)).toEqual(['Send proposal']);
    const open = await tw.ok(TaskListDocument, {
      filter: { completed: false, assignee: { eq: toGlobalId('User', bob.id) } },
      orderBy: [{ field: 'DUE_AT', direction: 'ASC' }],
    });
    expect(open.activities.nodes.map((n) => n.subject)).toEqual(['Send proposal', 'Follow up']);

    const stale = await tw.ok(CompleteTaskDocument, { id: late.id, version: 7 });
    expect(stale.completeTask.userErrors).toEqual([expect.objectContaining({ field: ['version'], code: 'CONFLICT' })]);
    const done = await tw.ok(CompleteTaskDocument, { id: late.id, version: 1 });
    expect(done.completeTask.activity).toMatchObject({ isOverdue: false, version: 2 });
    expect(done.completeTask.activity!.completedAt).not.toBeNull();
    const completed = await tw.ok(TaskListDocument, { filter: { completed: true } });
    expect(completed.activities.nodes.map((n) => n.subject)).toEqual(['Send proposal']);
    expect((await tw.ok(TaskListDocument, { filter: { overdue: true } })).activities.totalCount).toBe(0);

    const reopened = await tw.ok(ReopenTaskDocument, { id: late.id, version: 2 });
    expect(reopened.reopenTask.activity).toMatchObject({ completedAt: null, isOverdue: true, version: 3 });

    const calls = await tw.ok(TaskListDocument, { filter: { type: ['CALL'] } });
    const notTask = await tw.ok(CompleteTaskDocument, { id: calls.activities.nodes[0]!.id });
    expect(notTask.completeTask.userErrors).toEqual([expect.objectContaining({ field: ['id'], code: 'BAD_USER_INPUT' })]);
  });

  it('soft delete hides an activity from timelines and restore brings it back', async () => {
    const dw = await server.newWorkspace();
    const company = (await dw.ok(ActivitySeedCompanyDocument, { name: 'Deleted Ltd' })).createCompany.company!.id;
    const keep = (await dw.ok(LogActivityDocument, { input: { type: 'NOTE', subject: 'Keep', targetIds: [company] } })).logActivity
      .activity!;
    const gone = (await dw.ok(LogActivityDocument, { input: { type: 'NOTE', subject: 'Gone', targetIds: [company] } })).logActivity
      .activity!;
    const del = await dw.ok(DeleteActivityDocument, { id: gone.id, version: 1 });
    expect(del.deleteActivity.activity!.deletedAt).not.toBeNull();
    const after = await dw.ok(TimelineDocument, { targetId: company });
    expect(after.timeline.totalCount).toBe(1);
    expect(after.timeline.edges.map((e) => e.node.id)).toEqual([keep.id]);
    expect((await dw.ok(TaskListDocument, {})).activities.totalCount).toBe(1);
    const again = await dw.ok(UpdateActivityDocument, { input: { id: gone.id, version: 2, subject: 'Edit deleted' } });
    expect(again.updateActivity.userErrors[0]).toMatchObject({ field: ['id'], code: 'NOT_FOUND' });

    await dw.ok(RestoreActivityDocument, { id: gone.id });
    const restored = await dw.ok(TimelineDocument, { targetId: company });
    expect(restored.timeline.totalCount).toBe(2);
  });

  it("never shows another workspace's activity", async () => {
    const { id } = (await ws.ok(LogActivityDocument, { input: { type: 'NOTE', subject: 'Secret', targetIds: [companyId] } })).logActivity
      .activity!;
    const intruder = await server.newWorkspace();
    expect(await intruder.ok(`query($id: ID!) { node(id: $id) { id } activity(id: $id) { id } }`, { id })).toEqual({
      node: null,
      activity: null,
    });
    expect((await intruder.ok(TimelineDocument, { targetId: companyId })).timeline.totalCount).toBe(0);
    const upd = await intruder.ok(UpdateActivityDocument, { input: { id, version: 1, subject: 'Pwned' } });
    expect(upd.updateActivity.userErrors[0]!.code).toBe('NOT_FOUND');
  });
});
