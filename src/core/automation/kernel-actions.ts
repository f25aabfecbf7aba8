import { z } from 'zod';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode } from '../../graphql/errors.js';
import { parseGlobalId, toGlobalId } from '../../graphql/global-id.js';
import { Sql, sql } from '../../db/sql.js';
import { emitEvent } from '../../events/emit.js';
import { automationWebhook } from '../../events/kernel-events.js';
import { logActivity } from '../activities/activity.service.js';
import { TaskPriority } from '../activities/activity.entity.js';
import { memberIds } from '../identity/members.js';
import { Tag } from '../tags/tag.entity.js';
import { createTag } from '../tags/tag.service.js';
import { queueDeliveryFor } from '../webhooks/delivery.js';
import { WebhookEndpoint } from '../webhooks/webhook.entities.js';
import type { ActionContext, AutomationAction, AutomationRecordType, Facts, RecordPatch } from './catalog.js';
import { customField, operandProblem } from './conditions.js';
import { definitionsFor } from '../custom-fields/custom-field.service.js';
import { checkTextTemplate, renderTextTemplate } from './templates.js';
import { rawIdOf, rejectStep } from './step-errors.js';

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(max, { message: `must be at most ${max} characters` });
const globalId = (type: string) => z.string().refine((v) => parseGlobalId(v)?.type === type, { message: `must be the id of a ${type}` });
const rawId = (id: string) => parseGlobalId(id)!.id;

function recordOf(context: ActionContext<unknown>): NonNullable<ActionContext['record']> {
  if (!context.record) rejectStep(context.path, 'this step needs a record, and the run has none');
  return context.record;
}

async function patchRecord(context: ActionContext<unknown>, patch: RecordPatch): Promise<void> {
  const record = recordOf(context);
  if (!record.type.update) rejectStep(context.path, `${record.type.name} records cannot be changed by automation`);
  await record.type.update(context.ctx, record.id, patch);
}

/** Updates fields of the record: `{ fields: { lifecycleStage: 'CUSTOMER', 'custom.tier': 'gold' } }` (null clears). */
const updateFields: AutomationAction<{ fields: Record<string, string | number | boolean | null> }> = {
  type: 'updateFields',
  description: 'Sets fields of the record (custom fields as `custom.<key>`); null clears one.',
  params: z.strictObject({
    fields: z
      .record(z.string().max(200), z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]))
      .refine((f) => Object.keys(f).length > 0 && Object.keys(f).length <= 50, { message: 'between 1 and 50 fields' }),
  }),
  async validate({ params, recordType, ctx, path }) {
    if (!recordType) rejectStep(`${path}.fields`, 'this rule has no record to update');
    const customs = recordType.customObjectType ? await definitionsFor(ctx, recordType.customObjectType) : new Map();
    for (const [name, value] of Object.entries(params.fields)) {
      const at = `${path}.fields.${name}`;
      const custom = name.startsWith('custom.') ? customs.get(name.slice(7)) : undefined;
      const field = custom ? customField(custom) : recordType.fields[name];
      if (!field || (!custom && !field.writeAs)) rejectStep(at, `${recordType.name} has no field ${name} that automation can set`);
      if (field.protectedAs && !ctx.principal.access.canSeeField(recordType.name, field.protectedAs))
        rejectStep(at, `the field ${name} is hidden from you`, ErrorCode.FORBIDDEN);
      if (value === null) continue;
      const problem = operandProblem({ field: name, op: 'eq', value }, field.kind === 'idList' ? { kind: 'json' } : field);
      if (problem) rejectStep(at, `must be ${problem.message}`);
    }
  },
  async run(context) {
    const record = recordOf(context);
    const patch: RecordPatch = { fields: {}, customFields: {} };
    for (const [name, value] of Object.entries(context.params.fields)) {
      if (name.startsWith('custom.')) patch.customFields![name.slice(7)] = value;
      else patch.fields![record.type.fields[name]!.writeAs!] = value;
    }
    if (!Object.keys(patch.customFields!).length) delete patch.customFields;
    await patchRecord(context, patch);
    return { fields: context.params.fields };
  },
};

const tagNames = z.strictObject({ tags: z.array(text(100)).min(1).max(20) });

function needsTags(recordType: AutomationRecordType | null, path: string) {
  if (!recordType?.fields.tags) rejectStep(`${path}.tags`, `${recordType?.name ?? 'this rule'} has no tags`);
}

const addTags: AutomationAction<z.infer<typeof tagNames>> = {
  type: 'addTags',
  description: 'Adds tags (by name) to the record; a tag that does not exist yet is created.',
  params: tagNames,
  async validate({ recordType, path }) {
    needsTags(recordType, path);
  },
  async run(context) {
    const em = context.ctx.em;
    const workspaceId = workspaceOf(context.ctx);
    const ids: string[] = [];
    for (const name of context.params.tags) {
      const found = await em.findOne(Tag, { workspaceId, normalizedName: name.toLowerCase() });
      if (found) {
        ids.push(found.id);
        continue;
      }
      try {
        // in a savepoint: another run creating the same tag at the same moment wins, and this one takes its tag
        ids.push((await em.transactional((tx) => createTag(tx as typeof em, workspaceId, { name }))).id);
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        const theirs = await em.findOne(Tag, { workspaceId, normalizedName: name.toLowerCase() });
        if (!theirs) throw error;
        ids.push(theirs.id);
      }
    }
    await patchRecord(context, { addTagIds: ids });
    return { tags: context.params.tags };
  },
};

const removeTags: AutomationAction<z.infer<typeof tagNames>> = {
  type: 'removeTags',
  description: 'Removes tags (by name) from the record.',
  params: tagNames,
  async validate({ recordType, path }) {
    needsTags(recordType, path);
  },
  async run(context) {
    const tags = await context.ctx.em.find(Tag, {
      workspaceId: workspaceOf(context.ctx),
      normalizedName: { $in: context.params.tags.map((t) => t.toLowerCase()) },
    });
    if (tags.length) await patchRecord(context, { removeTagIds: tags.map((t) => t.id) });
    return { tags: tags.map((t) => t.name) };
  },
};

const assignParams = z.discriminatedUnion('strategy', [
  z.strictObject({ strategy: z.literal('user'), userId: globalId('User') }),
  z.strictObject({ strategy: z.literal('roundRobin'), teamId: globalId('Team') }),
  z.strictObject({ strategy: z.literal('leastOpenTasks'), teamId: globalId('Team') }),
]);
type AssignParams = z.infer<typeof assignParams>;

/** Members of a team who are members of the workspace, in a stable order. */
async function teamMembers(context: ActionContext<unknown>, teamId: string): Promise<string[]> {
  const q = sql`select tm.user_id from team_member tm join membership m on m.user_id = tm.user_id and m.workspace_id = tm.workspace_id
    where tm.workspace_id = ${context.workspaceId} and tm.team_id = ${teamId} order by tm.user_id`;
  return (await context.ctx.em.execute<{ user_id: string }[]>(q.text, q.params)).map((r) => String(r.user_id));
}

async function pickOwner(context: ActionContext<AssignParams>): Promise<string> {
  const params = context.params;
  if (params.strategy === 'user') {
    const id = rawId(params.userId);
    if (!(await memberIds(context.ctx.em, context.workspaceId, [id])).has(id))
      rejectStep(`${context.path}.userId`, 'this user is no longer a member of the workspace');
    return id;
  }
  const members = await teamMembers(context, rawId(params.teamId));
  if (!members.length) rejectStep(`${context.path}.teamId`, 'the team has no members to assign');
  if (params.strategy === 'roundRobin') {
    const key = `roundRobin:${context.path}`;
    const last = await context.state.get<string>(key);
    const next = members.find((m) => last !== undefined && m > last) ?? members[0]!;
    await context.state.set(key, next);
    return next;
  }
  // least open tasks: open (not completed, live) tasks assigned to each member; ties go to the first in order
  const q = sql`select a.assignee_id as user_id, count(*)::int as open from activity a
    where a.workspace_id = ${context.workspaceId} and a.type = 'TASK' and a.completed_at is null and a.deleted_at is null
      and a.assignee_id in (${Sql.join(
        members.map((m) => sql`${m}`),
        ', ',
      )})
    group by a.assignee_id`;
  const open = new Map(
    (await context.ctx.em.execute<{ user_id: string; open: number }[]>(q.text, q.params)).map((r) => [String(r.user_id), Number(r.open)]),
  );
  return members.reduce((best, m) => ((open.get(m) ?? 0) < (open.get(best) ?? 0) ? m : best), members[0]!);
}

const assignOwner: AutomationAction<AssignParams> = {
  type: 'assignOwner',
  description: 'Makes a member the record’s owner: a fixed user, round robin within a team, or the team member with the fewest open tasks.',
  params: assignParams,
  async validate({ params, recordType, ctx, path }) {
    if (!recordType?.fields.ownerId) rejectStep(`${path}.strategy`, `${recordType?.name ?? 'this rule'} has no owner`);
    const workspaceId = workspaceOf(ctx);
    if (params.strategy === 'user') {
      const id = rawId(params.userId);
      if (!(await memberIds(ctx.em, workspaceId, [id])).has(id))
        rejectStep(`${path}.userId`, 'not a member of the workspace', ErrorCode.NOT_FOUND);
    } else {
      const q = sql`select 1 from team where workspace_id = ${workspaceId} and id = ${rawId(params.teamId)}`;
      if (!(await ctx.em.execute(q.text, q.params)).length) rejectStep(`${path}.teamId`, 'team not found', ErrorCode.NOT_FOUND);
    }
  },
  async run(context) {
    const ownerId = await pickOwner(context);
    await patchRecord(context, { ownerId });
    return { ownerId: toGlobalId('User', ownerId) };
  },
};

/** Who a task is for: the record's owner, the rule's owner, or a member. */
const assignee = z.union([z.literal('recordOwner'), z.literal('ruleOwner'), globalId('User')]);

async function assigneeOf(context: ActionContext<unknown>, who: z.infer<typeof assignee> | undefined): Promise<string | null> {
  if (!who) return null;
  const facts: Facts = context.record?.facts ?? {};
  const id =
    who === 'recordOwner'
      ? typeof facts.ownerId === 'string'
        ? rawId(facts.ownerId)
        : null
      : who === 'ruleOwner'
        ? context.ctx.principal.userId
        : rawId(who);
  return id && (await memberIds(context.ctx.em, context.workspaceId, [id])).has(id) ? toGlobalId('User', id) : null;
}

const createTaskParams = z.strictObject({
  subject: text(500),
  /** Related records the task goes on too (`company`): keys of the record type's `related`. */
  alsoOnRelated: z.array(z.string().max(60)).max(5).optional(),
  body: z.string().max(10_000).optional(),
  dueInDays: z.number().int().min(0).max(3650).optional(),
  dueInHours: z
    .number()
    .int()
    .min(0)
    .max(24 * 3650)
    .optional(),
  priority: z.enum(TaskPriority).optional(),
  assignTo: assignee.optional(),
});

const createTask: AutomationAction<z.infer<typeof createTaskParams>> = {
  type: 'createTask',
  description: 'Creates a task on the record, due in N days or hours, for the record’s owner, the rule’s owner or a member.',
  params: createTaskParams,
  async validate({ params, recordType, path }) {
    checkTextTemplate(params.subject, recordType, `${path}.subject`);
    if (params.body !== undefined) checkTextTemplate(params.body, recordType, `${path}.body`);
    for (const [i, relation] of (params.alsoOnRelated ?? []).entries())
      if (!recordType?.related?.[relation])
        rejectStep(`${path}.alsoOnRelated.${i}`, `${recordType?.name ?? 'this rule'} has no related ${relation}`);
  },
  async run(context) {
    const record = recordOf(context);
    const p = context.params;
    const related = (p.alsoOnRelated ?? []).flatMap((relation) => {
      const link = record.type.related?.[relation];
      const id = link && record.facts[link.idField];
      return link && typeof id === 'string' ? [id] : [];
    });
    const due = p.dueInDays !== undefined || p.dueInHours !== undefined;
    const render = (source: string) => renderTextTemplate(source, { record: record.facts, ruleName: context.rule.name });
    const task = await logActivity(context.ctx, {
      type: 'TASK',
      subject: (await render(p.subject)).slice(0, 500) || p.subject,
      body: p.body === undefined ? null : await render(p.body),
      dueAt: due ? new Date(context.now.getTime() + ((p.dueInDays ?? 0) * 24 + (p.dueInHours ?? 0)) * 3_600_000) : null,
      priority: p.priority ?? null,
      assigneeId: await assigneeOf(context, p.assignTo),
      targetIds: [toGlobalId(record.type.name, record.id), ...related],
    });
    return { taskId: toGlobalId('Activity', task.id) };
  },
};

const updateRelatedParams = z
  .strictObject({
    /** A key of the record type's `related` (`company` of a contact, `primaryContact` of a deal). */
    relation: z.string().min(1).max(60),
    fields: z.record(z.string().max(200), z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()])).optional(),
    /** Make the related record's owner the member in this field of the record (`ownerId`). */
    ownerFromField: z.string().max(200).optional(),
  })
  .refine((p) => p.fields !== undefined || p.ownerFromField !== undefined, { message: 'give fields, ownerFromField or both' });

/** Updates the related record (its company, a deal's primary contact) through its record type. */
const updateRelated: AutomationAction<z.infer<typeof updateRelatedParams>> = {
  type: 'updateRelated',
  description:
    'Sets fields of a related record (`relation`: `company`, `primaryContact` …), or gives it the member in `ownerFromField` as owner.',
  params: updateRelatedParams,
  async validate({ params, recordType, ctx, path, catalog }) {
    const link = recordType?.related?.[params.relation];
    const target = link && catalog.recordTypes.get(link.recordType);
    if (!target) return rejectStep(`${path}.relation`, `${recordType?.name ?? 'this rule'} has no related ${params.relation}`);
    if (params.ownerFromField !== undefined && recordType.fields[params.ownerFromField]?.kind !== 'user')
      rejectStep(`${path}.ownerFromField`, `${params.ownerFromField} is not a member field of ${recordType.name}`);
    if (params.ownerFromField !== undefined && !target.fields.ownerId) rejectStep(`${path}.ownerFromField`, `${target.name} has no owner`);
    if (params.fields) await updateFields.validate!({ params: { fields: params.fields }, recordType: target, ctx, path, catalog });
  },
  async run(context) {
    const record = recordOf(context);
    const link = record.type.related?.[context.params.relation];
    const target = link && context.catalog.recordTypes.get(link.recordType);
    const id = link ? rawIdOf(record.facts[link.idField]) : null;
    if (!target?.update || !id) rejectStep(`${context.path}.relation`, `the ${record.type.name} has no ${context.params.relation}`);
    const patch: RecordPatch = {};
    for (const [name, value] of Object.entries(context.params.fields ?? {})) {
      if (name.startsWith('custom.')) patch.customFields = { ...patch.customFields, [name.slice(7)]: value };
      else patch.fields = { ...patch.fields, [target.fields[name]!.writeAs!]: value };
    }
    if (context.params.ownerFromField) {
      const owner = rawIdOf(record.facts[context.params.ownerFromField]);
      if (!owner || !(await memberIds(context.ctx.em, context.workspaceId, [owner])).has(owner))
        rejectStep(`${context.path}.ownerFromField`, 'the member is not in the workspace any more');
      patch.ownerId = owner;
    }
    await target.update(context.ctx, id, patch);
    return { relation: context.params.relation, id: toGlobalId(target.name, id) };
  },
};

const logNote: AutomationAction<{ subject?: string; body: string }> = {
  type: 'logNote',
  description: 'Logs a note on the record’s timeline.',
  params: z.strictObject({ subject: text(500).optional(), body: text(100_000) }),
  async validate({ params, recordType, path }) {
    if (params.subject !== undefined) checkTextTemplate(params.subject, recordType, `${path}.subject`);
    checkTextTemplate(params.body, recordType, `${path}.body`);
  },
  async run(context) {
    const record = recordOf(context);
    const render = (source: string) => renderTextTemplate(source, { record: record.facts, ruleName: context.rule.name });
    const note = await logActivity(context.ctx, {
      type: 'NOTE',
      subject:
        context.params.subject !== undefined
          ? (await render(context.params.subject)).slice(0, 500)
          : `Automation: ${context.rule.name}`.slice(0, 500),
      body: await render(context.params.body),
      targetIds: [toGlobalId(record.type.name, record.id)],
    });
    return { noteId: toGlobalId('Activity', note.id) };
  },
};

/**
 * The record's own fields for a webhook payload, keyed so the endpoint's field allowlist applies: a protected field
 * under its protected name (`email` as `primaryEmail`), custom values under `customFields`; related records' left out.
 */
function webhookRecord(type: AutomationRecordType, facts: Facts): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(facts)) {
    if (key.startsWith('custom.')) custom[key.slice(7)] = value;
    else if (key === 'id' || type.fields[key]) out[type.fields[key]?.protectedAs ?? key] = value;
  }
  if (Object.keys(custom).length) out.customFields = custom;
  return out;
}

const callWebhook: AutomationAction<{ endpointId: string; data?: Record<string, unknown> }> = {
  type: 'callWebhook',
  description:
    'Posts an `automation.webhook` event (the rule, the run, the record’s fields as the endpoint’s role may see them, and `data`) to one webhook endpoint, signed and retried like every delivery.',
  params: z.strictObject({ endpointId: globalId('WebhookEndpoint'), data: z.record(z.string().max(100), z.unknown()).optional() }),
  async validate({ params, ctx, path }) {
    const found = await ctx.em.findOne(WebhookEndpoint, { workspaceId: workspaceOf(ctx), id: rawId(params.endpointId) });
    if (!found) rejectStep(`${path}.endpointId`, 'webhook endpoint not found', ErrorCode.NOT_FOUND);
  },
  async run(context) {
    const endpointId = rawId(context.params.endpointId);
    const endpoint = await context.ctx.em.findOne(WebhookEndpoint, { workspaceId: context.workspaceId, id: endpointId });
    if (!endpoint) rejectStep(`${context.path}.endpointId`, 'webhook endpoint not found', ErrorCode.NOT_FOUND);
    const record = context.record;
    const key = record?.type.eventPrefix;
    const payload = {
      ruleId: toGlobalId('AutomationRule', context.rule.id),
      rule: context.rule.name,
      runId: toGlobalId('AutomationRun', context.run.id),
      recordType: record?.type.name ?? null,
      id: record?.id ?? null,
      ...(record && key ? { [key]: webhookRecord(record.type, record.facts) } : {}),
      data: context.params.data ?? {},
    };
    const eventId = await emitEvent(context.ctx.em, automationWebhook, payload, { workspaceId: context.workspaceId });
    const [delivery] = await queueDeliveryFor(context.ctx.em, {
      workspaceId: context.workspaceId,
      endpointId,
      eventId,
      eventType: automationWebhook.type,
    });
    return { eventId, deliveryId: delivery?.id ?? null };
  },
};

export const kernelActions: AutomationAction[] = [
  updateFields,
  updateRelated,
  addTags,
  removeTags,
  assignOwner,
  createTask,
  logNote,
  callWebhook,
];
