import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import {
  ActivityCommentsDocument,
  ActivitySeedCompanyDocument,
  AddCommentDocument,
  DeleteActivityDocument,
  DeleteCommentDocument,
  EditCommentDocument,
  LogActivityDocument,
  MyMentionsDocument,
} from '../generated/graphql.js';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { startTestServer, type Operation, type TestServer, type TestWorkspace } from '../support/harness.js';

let server: TestServer;
let ws: TestWorkspace;
let activityId: string;

beforeAll(async () => {
  server = await startTestServer();
  ws = await server.newWorkspace();
  const company = (await ws.ok(ActivitySeedCompanyDocument, { name: 'Commented' })).createCompany.company!.id;
  activityId = (await ws.ok(LogActivityDocument, { input: { type: 'MEETING', subject: 'Kickoff', targetIds: [company] } })).logActivity
    .activity!.id;
});
afterAll(() => server.close());

/** The same workspace, calling as another member. */
const as = (member: { headers: Record<string, string> }) => ({
  ok: <T, V>(op: Operation<T, V>, variables?: V) =>
    server.gql(op, variables, member.headers).then((res) => {
      if (res.errors?.length) throw new Error(JSON.stringify(res.errors));
      return res.data as T;
    }),
});

describe('comments', () => {
  it('adds comments with explicit and in-body mentions of members', async () => {
    const bob = await ws.addMember('Bob Builder');
    // a manager reads every activity, so she sees where she was mentioned
    const cleo = await ws.addMember('Cleo Coder', MembershipRole.MANAGER);
    const bobId = toGlobalId('User', bob.id);
    const cleoId = toGlobalId('User', cleo.id);
    const res = await ws.ok(AddCommentDocument, {
      input: { activityId, body: `Thanks @[Cleo Coder](${cleoId}), see notes.`, mentionedUserIds: [bobId] },
    });
    expect(res.addComment.userErrors).toEqual([]);
    expect(res.addComment.comment).toMatchObject({ author: { name: 'Ada Admin' }, activity: { id: activityId } });
    expect(res.addComment.comment!.mentions.map((m) => m.name).sort()).toEqual(['Bob Builder', 'Cleo Coder']);

    await ws.ok(AddCommentDocument, { input: { activityId, body: 'Second' } });
    const list = await ws.ok(ActivityCommentsDocument, { id: activityId, first: 1 });
    expect(list.activity!.commentCount).toBe(2);
    expect(list.activity!.comments.totalCount).toBe(2);
    expect(list.activity!.comments.nodes[0]!.body).toMatch(/^Thanks/);
    const next = await ws.ok(ActivityCommentsDocument, { id: activityId, first: 1, after: list.activity!.comments.pageInfo.endCursor });
    expect(next.activity!.comments.nodes.map((n) => n.body)).toEqual(['Second']);

    const mentionsOfCleo = await as(cleo).ok(MyMentionsDocument, { first: 10 });
    expect(mentionsOfCleo.myMentions.nodes).toEqual([
      { body: `Thanks @[Cleo Coder](${cleoId}), see notes.`, activity: { subject: 'Kickoff' } },
    ]);
    expect((await ws.ok(MyMentionsDocument, { first: 10 })).myMentions.nodes).toEqual([]);
  });

  it('rejects mentions of non-members, bad bodies and unknown activities, and writes nothing', async () => {
    const other = await server.newWorkspace();
    const outsider = toGlobalId('User', other.userId);
    const before = await server.count('comment', ws.id);
    const cases: [Record<string, unknown>, string[], string][] = [
      [{ body: 'Hi', mentionedUserIds: [outsider] }, ['mentionedUserIds', '0'], 'NOT_FOUND'],
      [{ body: `Hi @[Eve](${outsider})` }, ['body'], 'NOT_FOUND'],
      [{ body: `Hi @[Eve](${toGlobalId('Company', other.userId)})` }, ['body'], 'BAD_USER_INPUT'],
      [{ body: '  ' }, ['body'], 'BAD_USER_INPUT'],
      [{ body: 'x'.repeat(10 * 1024 * 1024) }, ['body'], 'BAD_USER_INPUT'],
      [{ body: 'Hi', activityId: toGlobalId('Activity', '00000000-0000-4000-8000-000000000000') }, ['activityId'], 'NOT_FOUND'],
    ];
    for (const [patch, field, code] of cases) {
      const res = await ws.gql(AddCommentDocument, { input: { activityId, ...patch } as never });
      expect(res.errors).toBeUndefined();
      expect(res.data!.addComment.comment).toBeNull();
      expect(res.data!.addComment.userErrors[0]).toMatchObject({ field, code });
    }
    expect(await server.count('comment', ws.id)).toBe(before);
  });

  it('lets only the author edit or delete a comment; edits add new mentions', async () => {
    // support reads every activity and comments, but deletes only its own comments
    const dan = await ws.addMember('Dan Dev', MembershipRole.SUPPORT);
    const { comment } = (await ws.ok(AddCommentDocument, { input: { activityId, body: 'Draft' } })).addComment;
    const edited = await ws.ok(EditCommentDocument, { id: comment!.id, body: `Final, cc @[Dan](${toGlobalId('User', dan.id)})` });
    expect(edited.editComment.comment).toMatchObject({ body: expect.stringMatching(/^Final/), mentions: [{ name: 'Dan Dev' }] });
    expect(edited.editComment.comment!.editedAt).not.toBeNull();

    const byDan = await as(dan).ok(EditCommentDocument, { id: comment!.id, body: 'Hijacked' });
    expect(byDan.editComment.userErrors).toEqual([expect.objectContaining({ field: ['id'], code: 'FORBIDDEN' })]);
    const delByDan = await as(dan).ok(DeleteCommentDocument, { id: comment!.id });
    expect(delByDan.deleteComment.userErrors[0]?.code).toBe('FORBIDDEN');

    const countBefore = (await ws.ok(ActivityCommentsDocument, { id: activityId })).activity!.commentCount;
    await ws.ok(DeleteCommentDocument, { id: comment!.id });
    const after = await ws.ok(ActivityCommentsDocument, { id: activityId, first: 50 });
    expect(after.activity!.commentCount).toBe(countBefore - 1);
    expect(after.activity!.comments.nodes.map((n) => n.body)).not.toContain(edited.editComment.comment!.body);
    expect((await ws.ok(`query($id: ID!) { node(id: $id) { id } }`, { id: comment!.id })).node).toBeNull();
  });

  it('does not take comments on a deleted activity', async () => {
    const company = (await ws.ok(ActivitySeedCompanyDocument, { name: 'Gone' })).createCompany.company!.id;
    const { id } = (await ws.ok(LogActivityDocument, { input: { type: 'NOTE', subject: 'Gone', targetIds: [company] } })).logActivity
      .activity!;
    await ws.ok(DeleteActivityDocument, { id });
    const res = await ws.ok(AddCommentDocument, { input: { activityId: id, body: 'Hello?' } });
    expect(res.addComment.userErrors).toEqual([expect.objectContaining({ field: ['activityId'], code: 'NOT_FOUND' })]);
  });
});
