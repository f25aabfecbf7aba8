import { readRow } from '../../db/read-rows.js';
import { z } from 'zod';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { memberIds } from '../identity/members.js';
import { Comment } from './comment.entity.js';
import { Activity } from '../activities/activity.entity.js';
import { ACTIVITY_SCOPE, readableComments, readScopeSql } from '../customers/record-scope.js';
import { User } from '../identity/user.entity.js';
import { Sql, sql } from '../../db/sql.js';
import { keysetPage, keysetPagesByParent } from '../../graphql/keyset-page.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import { expectGlobalId, parseGlobalId } from '../../graphql/global-id.js';
import { pageRequest, type ConnectionArgs, type Page } from '../../graphql/relay.js';
import { parseInput, trimmed } from '../shared/validation.js';
import { emitEvent } from '../../events/emit.js';
import { commentCreated, commentEdited } from '../../events/kernel-events.js';

export const COMMENT = 'Comment';
export const MAX_COMMENT = 20_000;
const MAX_MENTIONS = 50;

const body = trimmed(MAX_COMMENT).pipe(z.string().min(1, { message: 'must not be empty' }));
const addSchema = z.object({
  activityId: z.string(),
  body,
  mentionedUserIds: z
    .array(z.string())
    .max(MAX_MENTIONS, { message: `at most ${MAX_MENTIONS} mentions` })
    .default([]),
});
const editSchema = z.object({ id: z.string(), body });

/** `@[Ada Admin](VXNlcjo…)` (angle brackets around the id are allowed too). */
const MENTION_TOKEN = /@\[([^\]\n]{1,200})\]\(<?([A-Za-z0-9_-]{1,200})>?\)/g;

/** User ids mentioned in a body through `@[Name](<user global id>)` tokens. */
export function mentionsInBody(text: string): string[] {
  const ids: string[] = [];
  for (const match of text.matchAll(MENTION_TOKEN)) {
    const parsed = parseGlobalId(match[2]!);
    if (parsed?.type !== 'User') throw InputRejected.one('body', `"${match[0].slice(0, 80)}" does not mention a user id`);
    ids.push(parsed.id);
  }
  return ids;
}

/** Decodes explicit and in-body mentions; every one must be a member of the workspace. */
async function resolveMentions(em: SqlEntityManager, workspaceId: string, text: string, explicit: string[]): Promise<string[]> {
  const fromList = explicit.map((g, i) => ({ id: expectGlobalId(g, 'User', `mentionedUserIds.${i}`), field: `mentionedUserIds.${i}` }));
  const fromBody = mentionsInBody(text).map((id) => ({ id, field: 'body' }));
  const all = [...fromList, ...fromBody];
  if (all.length > MAX_MENTIONS) throw InputRejected.one('mentionedUserIds', `at most ${MAX_MENTIONS} mentions`);
  if (!all.length) return [];
  const ids = [...new Set(all.map((m) => m.id))];
  const members = await memberIds(em, workspaceId, ids);
  const errors: UserError[] = all
    .filter((m) => !members.has(m.id))
    .map((m) => userError(m.field, 'user is not a member of this workspace', ErrorCode.NOT_FOUND));
  if (errors.length) throw new InputRejected(errors);
  return ids;
}

export async function addComment(ctx: RequestContext, input: unknown): Promise<Comment> {
  const em = ctx.em;
  const workspaceId = workspaceOf(ctx);
  const data = parseInput(addSchema, input);
  const activityId = expectGlobalId(data.activityId, 'Activity', 'activityId');
  const activity = await em.findOne(Activity, { id: activityId, deletedAt: null });
  // one may comment on the activities one may read; others are not found
  if (!activity || !ctx.principal.access.reaches(ACTIVITY_SCOPE.read, [activity.assignee?.id, activity.createdBy?.id]))
    throw InputRejected.one('activityId', 'activity not found', ErrorCode.NOT_FOUND);
  const mentionedUserIds = await resolveMentions(em, workspaceId, data.body, data.mentionedUserIds);
  const comment = em.create(Comment, {
    workspaceId,
    activity,
    author: ctx.principal.userId ? em.getReference(User, ctx.principal.userId) : null,
    body: data.body,
    mentionedUserIds,
  });
  await em.flush();
  await emitEvent(
    em,
    commentCreated,
    { id: comment.id, activityId, authorId: ctx.principal.userId ?? null, mentionedUserIds },
    { workspaceId },
  );
  return comment;
}

/**
 * A live comment on an activity the caller may read (else NOT_FOUND). Editing is for its author only; deleting
 * follows `comment:delete` (own: one's own comments, team / all: also others').
 */
async function commentForChange(ctx: RequestContext, globalId: string, change: 'edit' | 'delete'): Promise<Comment> {
  const id = expectGlobalId(globalId, COMMENT, 'id');
  const comment = await readableComments(ctx).load(id);
  if (!comment || comment.deletedAt) throw InputRejected.one('id', 'comment not found', ErrorCode.NOT_FOUND);
  const authorId = comment.author?.id ?? null;
  const allowed =
    change === 'edit' ? authorId === null || authorId === ctx.principal.userId : ctx.principal.access.reaches('comment:delete', [authorId]);
  if (!allowed)
    throw InputRejected.one(
      'id',
      change === 'edit' ? 'only the author can change a comment' : 'you may not delete this comment',
      ErrorCode.FORBIDDEN,
    );
  return ctx.em.findOneOrFail(Comment, { id });
}

/** Replaces the body; mentions are the earlier ones plus those in the new body. */
export async function editComment(ctx: RequestContext, input: unknown): Promise<Comment> {
  const data = parseInput(editSchema, input);
  const comment = await commentForChange(ctx, data.id, 'edit');
  const added = await resolveMentions(ctx.em, workspaceOf(ctx), data.body, []);
  const newlyMentioned = added.filter((id) => !comment.mentionedUserIds.includes(id));
  comment.body = data.body;
  comment.mentionedUserIds = [...new Set([...comment.mentionedUserIds, ...added])];
  comment.editedAt = new Date();
  await ctx.em.flush();
  await emitEvent(
    ctx.em,
    commentEdited,
    { id: comment.id, activityId: comment.activity.id, authorId: comment.author?.id ?? null, mentionedUserIds: newlyMentioned },
    { workspaceId: workspaceOf(ctx) },
  );
  return comment;
}

export async function deleteComment(ctx: RequestContext, globalId: string): Promise<Comment> {
  const comment = await commentForChange(ctx, globalId, 'delete');
  comment.deletedAt = new Date();
  await ctx.em.flush();
  return comment;
}

/** Comment pages of every activity on a page, oldest first, in one statement per distinct set of arguments. */
export function activityCommentsLoader(ctx: RequestContext, args: ConnectionArgs) {
  const request = pageRequest(args);
  return ctx.loaders.get<string, Page<Comment>>(`activity.comments.${JSON.stringify(args)}`, (activityIds, c) =>
    keysetPagesByParent(
      c.em,
      {
        from: 'comment c',
        select: 'c.*',
        where: sql`c.workspace_id = ${workspaceOf(c)} and c.deleted_at is null`,
        orderBy: [{ expr: 'c.created_at', direction: 'ASC', nullable: false }],
        idExpr: 'c.id',
      },
      'c.activity_id',
      activityIds,
      request,
      (row) => readRow(c.em, Comment, row),
    ),
  );
}

/** Comments mentioning a user, newest first. */
export function mentionsPage(ctx: RequestContext, userId: string, args: ConnectionArgs) {
  // only mentions on activities the caller may (still) read
  const where = sql`c.workspace_id = ${workspaceOf(ctx)} and ${userId} = any(c.mentioned_user_ids) and c.deleted_at is null and a.deleted_at is null and ${readScopeSql(ctx, ACTIVITY_SCOPE, 'a')}`;
  return keysetPage(
    ctx.em,
    {
      from: 'comment c join activity a on a.id = c.activity_id',
      select: 'c.*',
      where,
      orderBy: [{ expr: 'c.created_at', direction: 'DESC', nullable: false }],
      idExpr: 'c.id',
    },
    pageRequest(args),
    (row) => readRow(ctx.em, Comment, row),
  );
}

export function commentCountLoader(ctx: RequestContext) {
  return ctx.loaders.get<string, number>('comment.countByActivity', async (ids, c) => {
    const q = sql`select activity_id, count(*)::int as n from comment where workspace_id = ${workspaceOf(c)} and deleted_at is null and activity_id in (${Sql.join(
      ids.map((i) => sql`${i}`),
      ', ',
    )}) group by activity_id`;
    const rows = await c.em.execute<{ activity_id: string; n: number }[]>(q.text, q.params);
    const counts = new Map(rows.map((r) => [r.activity_id, Number(r.n)]));
    return ids.map((id) => counts.get(id) ?? 0);
  });
}
