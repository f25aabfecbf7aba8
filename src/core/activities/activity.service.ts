import { readRow } from '../../db/read-rows.js';
import { groupBy, takeColumn } from '../../db/group-by.js';
import { z } from 'zod';
import { Activity, ActivityDirection, ActivityType, TaskPriority } from './activity.entity.js';
import { Company } from '../customers/company.entity.js';
import { Contact } from '../customers/contact.entity.js';
import { User } from '../identity/user.entity.js';
import { TimelineEntryKind } from '../timeline/timeline-link.entity.js';
import { linkEntry, replaceLinks, syncLinks, type TimelineTarget } from '../timeline/timeline.service.js';
import { Sql, sql, raw } from '../../db/sql.js';
import { keysetPage, type SortKey } from '../../graphql/keyset-page.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import { expectGlobalId, parseGlobalId } from '../../graphql/global-id.js';
import { nodeTypesOf } from '../../graphql/node-registry.js';
import { pageRequest, type ConnectionArgs } from '../../graphql/relay.js';
import { optionalText, parseInput, trimmed } from '../shared/validation.js';
import { idFilterSql, SortDirection } from '../shared/filters.js';
import { memberOrReject } from '../identity/members.js';
import { once } from '../idempotency/idempotency.js';
import { ActivitySortField, type ActivityFilter, type ActivityOrder } from './activity.types.js';
import { ACTIVITY_SCOPE, RECORD_SCOPES, readable, readScopeSql } from '../customers/record-scope.js';

export const ACTIVITY = 'Activity';
export const MAX_TARGETS = 50;
export const MAX_BODY = 100_000;

/** Types a timeline can belong to without a node loader lookup (the kernel's own records). */
const KERNEL_TARGETS = { Contact, Company } as const;
/** Node types that are not records with a timeline. */
const NOT_TARGETABLE = new Set(['Activity', 'Comment', 'TimelineEvent', 'Workspace', 'User', 'Tag']);
const TASK_ONLY = ['dueAt', 'priority', 'completedAt'] as const;

const fields = {
  type: z.enum(ActivityType),
  subject: trimmed(500).pipe(z.string().min(1, { message: 'must not be empty' })),
  body: z
    .string()
    .max(MAX_BODY, { message: `must be at most ${MAX_BODY} characters` })
    .nullish(),
  occurredAt: z.date(),
  durationSeconds: z
    .number()
    .int()
    .min(0, { message: 'must not be negative' })
    .max(366 * 24 * 3600, { message: 'must be at most a year' })
    .nullish(),
  direction: z.enum(ActivityDirection).nullish(),
  outcome: optionalText(200),
  dueAt: z.date().nullish(),
  assigneeId: z.string().nullish(),
  priority: z.enum(TaskPriority).nullish(),
  targetIds: z
    .array(z.string())
    .min(1, { message: 'at least one target' })
    .max(MAX_TARGETS, { message: `at most ${MAX_TARGETS} targets` }),
};
const logSchema = z
  .object({ ...fields, occurredAt: fields.occurredAt.nullish(), idempotencyKey: z.string().nullish() })
  .superRefine((data, issue) => {
    if (data.type === ActivityType.TASK) return;
    for (const field of TASK_ONLY) {
      if ((data as Record<string, unknown>)[field] != null)
        issue.addIssue({ code: 'custom', path: [field], message: 'only tasks have this field' });
    }
  });
const updateSchema = z.object({ id: z.string(), version: z.number().int() }).extend(z.object(fields).partial().shape);

/**
 * Resolves global ids of records to put an activity on: contacts, companies, or any plugin type with a node
 * loader. Every id must name a live record of the caller's workspace; all failures are reported together.
 */
export async function resolveTargets(ctx: RequestContext, globalIds: string[], field = 'targetIds'): Promise<TimelineTarget[]> {
  const errors: UserError[] = [];
  const parsed = globalIds.map((globalId, i) => {
    const target = parseGlobalId(globalId);
    if (!target) {
      errors.push(userError(`${field}.${i}`, 'is not a valid id'));
      return null;
    }
    if (NOT_TARGETABLE.has(target.type) || !(target.type in KERNEL_TARGETS || nodeTypesOf(ctx).loader(target.type))) {
      errors.push(userError(`${field}.${i}`, `activities cannot be logged on a ${target.type}`));
      return null;
    }
    return target;
  });
  if (errors.length) throw new InputRejected(errors);
  const found = await Promise.all(
    parsed.map(async (target) => {
      // a record the caller may not read is not found, like a missing one
      const record = await loadTarget(ctx, target!.type, target!.id);
      return record != null && (record as { deletedAt?: Date | null }).deletedAt == null;
    }),
  );
  found.forEach((ok, i) => {
    if (!ok) errors.push(userError(`${field}.${i}`, 'record not found', ErrorCode.NOT_FOUND));
  });
  if (errors.length) throw new InputRejected(errors);
  return parsed.map((t) => t!);
}

function applyActivityFields(activity: Activity, data: Partial<z.infer<typeof logSchema>>) {
  if (data.type !== undefined) activity.type = data.type;
  if (data.subject !== undefined) activity.subject = data.subject;
  if (data.body !== undefined) activity.body = data.body;
  if (data.occurredAt != null) activity.occurredAt = data.occurredAt;
  if (data.durationSeconds !== undefined) activity.durationSeconds = data.durationSeconds;
  if (data.direction !== undefined) activity.direction = data.direction;
  if (data.outcome !== undefined) activity.outcome = data.outcome;
  if (data.dueAt !== undefined) activity.dueAt = data.dueAt;
  if (data.priority !== undefined) activity.priority = data.priority;
}

/** Rejects task fields left on an activity that is not a task, naming the field the input set (else `type`). */
function rejectTaskFieldsOnNonTask(activity: Activity, input: Record<string, unknown>) {
  if (activity.type === ActivityType.TASK) return;
  const errors = TASK_ONLY.filter((f) => activity[f] != null).map((f) =>
    userError(
      input[f] !== undefined ? f : 'type',
      input[f] !== undefined ? 'only tasks have this field' : `clear ${f} before changing a task into a ${activity.type}`,
    ),
  );
  if (errors.length) throw new InputRejected(errors);
}

export async function logActivity(ctx: RequestContext, input: unknown): Promise<Activity> {
  const em = ctx.em;
  const workspaceId = workspaceOf(ctx);
  const data = parseInput(logSchema, input);
  const { id } = await once(em, workspaceId, 'logActivity', data.idempotencyKey, async () => {
    const targets = await resolveTargets(ctx, data.targetIds);
    const assignee = await memberOrReject(em, workspaceId, data.assigneeId, 'assigneeId');
    const activity = em.create(Activity, { workspaceId, type: data.type, subject: data.subject } as Activity);
    applyActivityFields(activity, data);
    activity.assignee = assignee ?? null;
    activity.createdBy = ctx.principal.userId ? em.getReference(User, ctx.principal.userId) : null;
    linkEntry(
      em,
      workspaceId,
      { kind: TimelineEntryKind.ACTIVITY, id: activity.id, type: activity.type, occurredAt: activity.occurredAt },
      targets,
    );
    await em.flush();
    return activity.id;
  });
  return em.findOneOrFail(Activity, { id });
}

const ownersOf = (activity: Activity) => [activity.assignee?.id, activity.createdBy?.id];

/**
 * Loads a live activity for editing and checks the version the client edited. An activity outside the caller's
 * `permission` scope (update, or delete) is NOT_FOUND, exactly like a missing one.
 */
export async function activityForUpdate(
  ctx: RequestContext,
  globalId: string,
  version: number | null | undefined,
  field = 'id',
  permission = ACTIVITY_SCOPE.update,
): Promise<Activity> {
  const id = expectGlobalId(globalId, ACTIVITY, field);
  const activity = await ctx.em.findOne(Activity, { id, deletedAt: null });
  if (!activity || !ctx.principal.access.reaches(permission, ownersOf(activity)))
    throw InputRejected.one(field, 'activity not found', ErrorCode.NOT_FOUND);
  if (version != null && activity.version !== version) {
    throw InputRejected.one(
      'version',
      `the activity is at version ${activity.version}, not ${version}; reload it and try again`,
      ErrorCode.CONFLICT,
    );
  }
  return activity;
}

export async function updateActivity(ctx: RequestContext, input: unknown): Promise<Activity> {
  const em = ctx.em;
  const workspaceId = workspaceOf(ctx);
  const data = parseInput(updateSchema, input);
  const activity = await activityForUpdate(ctx, data.id, data.version);
  const before = { type: activity.type, occurredAt: activity.occurredAt.getTime() };
  applyActivityFields(activity, data);
  rejectTaskFieldsOnNonTask(activity, data);
  const assignee = await memberOrReject(em, workspaceId, data.assigneeId, 'assigneeId');
  if (assignee !== undefined) activity.assignee = assignee;
  activity.updatedAt = new Date();
  await em.flush();
  const entry = { kind: TimelineEntryKind.ACTIVITY, id: activity.id, type: activity.type, occurredAt: activity.occurredAt };
  if (data.targetIds !== undefined) {
    await replaceLinks(em, workspaceId, entry, await resolveTargets(ctx, data.targetIds));
  } else if (before.type !== activity.type || before.occurredAt !== activity.occurredAt.getTime()) {
    await syncLinks(em, activity.id, activity.type, activity.occurredAt);
  }
  return activity;
}

export async function setTaskCompleted(
  ctx: RequestContext,
  globalId: string,
  version: number | null | undefined,
  completed: boolean,
): Promise<Activity> {
  const em = ctx.em;
  const activity = await activityForUpdate(ctx, globalId, version);
  if (activity.type !== ActivityType.TASK) throw InputRejected.one('id', `a ${activity.type} is not a task`);
  // completing twice keeps the first completion time
  if (completed && !activity.completedAt) activity.completedAt = new Date();
  if (!completed) activity.completedAt = null;
  activity.updatedAt = new Date();
  await em.flush();
  return activity;
}

/** Soft delete: the activity leaves every timeline (its links stay, so restoring brings it back). */
export async function deleteActivity(ctx: RequestContext, globalId: string, version?: number | null): Promise<Activity> {
  const em = ctx.em;
  const activity = await activityForUpdate(ctx, globalId, version, 'id', ACTIVITY_SCOPE.delete);
  activity.deletedAt = new Date();
  await em.flush();
  return activity;
}

export async function restoreActivity(ctx: RequestContext, globalId: string): Promise<Activity> {
  const em = ctx.em;
  const id = expectGlobalId(globalId, ACTIVITY, 'id');
  const activity = await em.findOne(Activity, { id, deletedAt: { $ne: null } });
  if (!activity || !ctx.principal.access.reaches(ACTIVITY_SCOPE.delete, ownersOf(activity)))
    throw InputRejected.one('id', 'no deleted activity with this id', ErrorCode.NOT_FOUND);
  activity.deletedAt = null;
  await em.flush();
  return activity;
}

export function isOverdue(activity: Activity, now = new Date()): boolean {
  return activity.type === ActivityType.TASK && !activity.completedAt && !!activity.dueAt && activity.dueAt < now;
}

const OPEN_TASK = `a.type = 'TASK' and a.completed_at is null`;
const OVERDUE = `${OPEN_TASK} and a.due_at is not null and a.due_at < now()`;
const sortColumns: Record<ActivitySortField, string> = {
  [ActivitySortField.OCCURRED_AT]: 'a.occurred_at',
  [ActivitySortField.DUE_AT]: 'a.due_at',
  [ActivitySortField.CREATED_AT]: 'a.created_at',
};

/** Live activities of the caller's workspace matching a filter (alias `a`). */
export function activityWhere(ctx: RequestContext, filter?: ActivityFilter | null): Sql {
  const f = filter ?? {};
  const parts: Sql[] = [
    sql`a.workspace_id = ${workspaceOf(ctx)}`,
    raw('a.deleted_at is null'),
    // record scope: activities assigned to or logged by the users the caller's activity:read reaches
    readScopeSql(ctx, ACTIVITY_SCOPE, 'a'),
    ...idFilterSql('a.assignee_id', f.assignee, 'User', 'filter.assignee'),
  ];
  if (f.type)
    parts.push(
      f.type.length
        ? sql`a.type::text in (${Sql.join(
            f.type.map((t) => sql`${t}`),
            ', ',
          )})`
        : sql`false`,
    );
  if (f.dueBefore) parts.push(sql`a.due_at < ${f.dueBefore.toISOString()}`);
  if (f.dueAfter) parts.push(sql`a.due_at >= ${f.dueAfter.toISOString()}`);
  if (f.completed != null) parts.push(raw(f.completed ? `a.type = 'TASK' and a.completed_at is not null` : OPEN_TASK));
  if (f.overdue != null) parts.push(raw(f.overdue ? OVERDUE : `not (${OVERDUE})`));
  return Sql.and(parts);
}

/** Activities of the workspace (task lists): by type, assignee, due window, completion and overdue state. */
export async function listActivities(
  ctx: RequestContext,
  args: ConnectionArgs,
  filter?: ActivityFilter | null,
  orderBy?: ActivityOrder[] | null,
) {
  const request = pageRequest(args);
  const order: SortKey[] = orderBy?.length
    ? orderBy.map((o) => ({ expr: sortColumns[o.field], direction: o.direction === SortDirection.DESC ? 'DESC' : 'ASC' }))
    : [{ expr: 'a.occurred_at', direction: 'DESC', nullable: false }];
  return keysetPage(
    ctx.em,
    { from: 'activity a', select: 'a.*', where: activityWhere(ctx, filter), orderBy: order, idExpr: 'a.id' },
    request,
    (row) => readRow(ctx.em, Activity, row),
  );
}

export interface RecentActivityList {
  nodes: Activity[];
  hasMore: boolean;
}

export const MAX_RECENT = 50;

/**
 * The latest `first` activities of many records of one type in ONE statement (a lateral join per record over
 * the timeline index), so a list of N records costs one query for all their activities.
 */
/** Columns each `Activity` field reads; fields not listed (targets, comments, plugin fields) need no column. */
const ACTIVITY_FIELD_COLUMNS: Record<string, string[]> = {
  type: ['type'],
  entryType: ['type'],
  subject: ['subject'],
  body: ['body'],
  occurredAt: ['occurred_at'],
  durationSeconds: ['duration_seconds'],
  direction: ['direction'],
  outcome: ['outcome'],
  dueAt: ['due_at'],
  assignee: ['assignee_id'],
  priority: ['priority'],
  completedAt: ['completed_at'],
  isOverdue: ['type', 'due_at', 'completed_at'],
  createdBy: ['created_by_id'],
  version: ['version'],
  createdAt: ['created_at'],
  updatedAt: ['updated_at'],
  deletedAt: ['deleted_at'],
};

/** The activity columns a selection needs (all of them when the selection is unknown). */
export function activityColumns(fields: Set<string> | null): string {
  if (!fields) return 'a.*';
  const columns = new Set(['id', 'workspace_id', 'type']);
  for (const field of fields) for (const column of ACTIVITY_FIELD_COLUMNS[field] ?? []) columns.add(column);
  return [...columns].map((c) => `a.${c}`).join(', ');
}

export function recentActivitiesLoader(
  ctx: RequestContext,
  targetType: string,
  first: number,
  types?: ActivityType[] | null,
  fields: Set<string> | null = null,
) {
  if (first < 0 || first > MAX_RECENT) throw InputRejected.one('first', `must be between 0 and ${MAX_RECENT}`);
  // wide rows cost more than the lookups themselves: read only what the query selects
  const columns = activityColumns(fields);
  const name = `activities.recent.${targetType}.${first}.${types ? [...types].sort().join(',') : '*'}.${columns}`;
  return ctx.loaders.get<string, RecentActivityList>(name, async (ids, c) => {
    if (first === 0 || types?.length === 0) return ids.map(() => ({ nodes: [], hasMore: false }));
    const typeCondition = types
      ? sql` and l.entry_type in (${Sql.join(
          types.map((t) => sql`${t}`),
          ', ',
        )})`
      : sql``;
    const targets = Sql.join(
      ids.map((id) => sql`(cast(${id} as uuid))`),
      ', ',
    );
    const q = sql`select t.target_id as "_target_id", r.* from (values ${targets}) t(target_id) cross join lateral (
        select ${raw(columns)}, l.occurred_at as "_at" from timeline_link l join activity a on a.id = l.entry_id and a.deleted_at is null
          and ${readScopeSql(c, ACTIVITY_SCOPE, 'a')}
        where l.workspace_id = ${workspaceOf(c)} and l.target_type = ${targetType} and l.target_id = t.target_id
          and l.entry_kind = ${TimelineEntryKind.ACTIVITY}${typeCondition}
        order by l.occurred_at desc, l.entry_id desc limit ${first + 1}
      ) r order by t.target_id, r."_at" desc, r.id desc`;
    const rows = await c.em.execute<Record<string, unknown>[]>(q.text, q.params);
    const byTarget = groupBy(
      rows,
      (row) => {
        delete row._at;
        return takeColumn(row, '_target_id');
      },
      (row) => readRow(c.em, Activity, row),
    );
    return ids.map((id) => {
      const list = byTarget.get(id) ?? [];
      return { nodes: list.slice(0, first), hasMore: list.length > first };
    });
  });
}

/**
 * Targets of many activities in one query. Contacts and companies the caller may not read are left out (in SQL);
 * plugin records resolve through their node loaders, which apply their own scope.
 */
export function activityTargetsLoader(ctx: RequestContext) {
  return ctx.loaders.get<string, { targetType: string; targetId: string }[]>('activity.targets', async (ids, c) => {
    const visible = (type: keyof typeof KERNEL_TARGETS, table: string) => {
      const scope = RECORD_SCOPES[type]!;
      return sql`(l.target_type <> ${type} or exists (select 1 from ${raw(table)} r where r.id = l.target_id and ${readScopeSql(c, scope, 'r')}))`;
    };
    const q = sql`select l.entry_id, l.target_type, l.target_id from timeline_link l where l.workspace_id = ${workspaceOf(c)} and l.entry_id in (${Sql.join(
      ids.map((i) => sql`${i}`),
      ', ',
    )})
      and ${visible('Contact', 'contact')} and ${visible('Company', 'company')} order by l.target_type, l.target_id`;
    const rows = await c.em.execute<{ entry_id: string; target_type: string; target_id: string }[]>(q.text, q.params);
    const byEntry = groupBy(
      rows,
      (row) => row.entry_id,
      (row) => ({ targetType: row.target_type, targetId: row.target_id }),
    );
    return ids.map((id) => byEntry.get(id) ?? []);
  });
}

/** Loads target records of any type, batched per type (contacts and companies through their id loaders). */
export function loadTarget(ctx: RequestContext, targetType: string, id: string): Promise<object | null> {
  if (targetType in KERNEL_TARGETS) return readable(ctx, targetType as keyof typeof KERNEL_TARGETS).load(id);
  const load = nodeTypesOf(ctx).loader(targetType);
  const permission = nodeTypesOf(ctx).permission(targetType);
  if (permission && !ctx.principal.access.can(permission)) return Promise.resolve(null);
  return load ? load(ctx, id) : Promise.resolve(null);
}
