import {
  InputRejected,
  actAs,
  contactIdsMatching,
  contacts,
  defineJob,
  enqueueJob,
  logActivity,
  sendEmail,
  sql,
  toGlobalId,
  updateContact,
  validateContactRules,
  type Contact,
  type JobContext,
  type RequestContext,
} from '../../../src/sdk/index.js';
import type { CampaignSettings } from '../settings.js';
import { CampaignTemplate } from '../templates/entities.js';
import { skipReasons } from '../sending/suppression.js';
import { EngagementKind } from '../tracking/entities.js';
import { CampaignSequence, EnrollmentSource, EnrollmentStatus, SequenceStatus, type CampaignSequenceEnrollment } from './entities.js';
import { BranchOn, StepType, waitEnd, type SequenceStep } from './steps.js';

export type RunnerContext = JobContext<CampaignSettings>;
type Em = RequestContext['em'];

/** `sequence:<enrollment id>:<step index>`: the `source` of every sequence message. */
export const sequenceSource = (enrollmentId: string, stepIndex: number) => `sequence:${enrollmentId}:${stepIndex}`;

export enum ExitReason {
  CONTACT_GONE = 'contact_gone',
  UNSUBSCRIBED = 'unsubscribed',
  BECAME_CUSTOMER = 'became_customer',
  ENTERED_SEGMENT = 'entered_segment',
  ARCHIVED = 'archived',
  DELETED = 'deleted',
}

export enum EnrollResult {
  ENROLLED = 'enrolled',
  ALREADY_ENROLLED = 'already_enrolled',
}

/**
 * Enrolls contacts (raw uuids, live ones) in a sequence, in the caller's transaction: one insert that the partial
 * unique index (one active enrollment per contact and sequence) makes skip those already in it, and the first step's
 * job for each new one (due now). `schedule: false` leaves the start to the sweep (the demo seeds without a queue).
 */
export async function enroll(
  context: { em: Em },
  sequence: CampaignSequence,
  contactIds: readonly string[],
  source: EnrollmentSource,
  now: Date,
  schedule = true,
): Promise<Map<string, { result: EnrollResult; enrollmentId: string | null }>> {
  const results = new Map<string, { result: EnrollResult; enrollmentId: string | null }>();
  if (!contactIds.length) return results;
  const q = sql`insert into campaign_sequence_enrollment (id, workspace_id, created_at, updated_at, sequence_id, contact_id, status, step_index, next_run_at, source)
    select gen_random_uuid(), ${sequence.workspaceId}, ${now}, ${now}, ${sequence.id}, c.id, 'active', 0, ${now}, ${source}
    from (select distinct cast(jsonb_array_elements_text(cast(${JSON.stringify(contactIds)} as jsonb)) as uuid) as id) c
    on conflict (sequence_id, contact_id) where status = 'active' do nothing
    returning id, contact_id`;
  const inserted = await context.em.execute<{ id: string; contact_id: string }[]>(q.text, q.params);
  const byContact = new Map(inserted.map((r) => [r.contact_id, r.id]));
  for (const contactId of contactIds) {
    const enrollmentId = byContact.get(contactId) ?? null;
    results.set(contactId, { result: enrollmentId ? EnrollResult.ENROLLED : EnrollResult.ALREADY_ENROLLED, enrollmentId });
  }
  if (schedule && sequence.status === SequenceStatus.ACTIVE)
    for (const enrollmentId of byContact.values())
      await enqueueJob(context, stepJob, { enrollmentId }, { workspaceId: sequence.workspaceId, singletonKey: enrollmentId });
  return results;
}

/** Ends the active enrollments the condition selects (one statement); returns how many. */
export async function exitEnrollments(em: Em, workspaceId: string, where: ReturnType<typeof sql>, reason: ExitReason, now: Date) {
  const q = sql`update campaign_sequence_enrollment set status = 'exited', exit_reason = ${reason}, finished_at = ${now},
    next_run_at = null, updated_at = ${now}
    where workspace_id = ${workspaceId} and status = 'active' and ${where} returning id`;
  return (await em.execute(q.text, q.params)).length;
}

/**
 * Whether the contact opened (or clicked) the email an enrollment's step sent: the plugin's engagement rows keyed on
 * the send row, which for a sequence step is its step run (human opens and clicks only).
 */
export async function emailEngaged(em: Em, workspaceId: string, sendRowId: string, kind: EngagementKind): Promise<boolean> {
  const q = sql`select 1 from campaign_engagement where workspace_id = ${workspaceId} and send_id = ${sendRowId}
    and kind = ${kind} and not machine limit 1`;
  return (await em.execute(q.text, q.params)).length > 0;
}

/** Why the enrollment must end now (null: go on). */
async function exitReasonFor(ctx: RequestContext, sequence: CampaignSequence, contact: Contact | null): Promise<ExitReason | null> {
  if (!contact || contact.deletedAt || contact.mergedIntoId) return ExitReason.CONTACT_GONE;
  const workspaceId = sequence.workspaceId;
  if (sequence.exitOn.unsubscribed) {
    if (contact.doNotContact || contact.doNotEmail || contact.marketingConsent === 'WITHDRAWN') return ExitReason.UNSUBSCRIBED;
    const email = contact.primaryEmail?.trim().toLowerCase() ?? '';
    const q = sql`select 1 from campaign_suppression where workspace_id = ${workspaceId} and kind = 'unsubscribed'
      and (contact_id = ${contact.id} or email = ${email}) limit 1`;
    if ((await ctx.em.execute(q.text, q.params)).length) return ExitReason.UNSUBSCRIBED;
  }
  if (sequence.exitOn.becameCustomer && contact.lifecycleStage === 'CUSTOMER') return ExitReason.BECAME_CUSTOMER;
  if (sequence.exitOn.enteredSegmentId) {
    const q = sql`select 1 from campaign_segment_member where workspace_id = ${workspaceId}
      and segment_id = ${sequence.exitOn.enteredSegmentId} and contact_id = ${contact.id}`;
    if ((await ctx.em.execute(q.text, q.params)).length) return ExitReason.ENTERED_SEGMENT;
  }
  return null;
}

interface StepOutcome {
  outcome: 'sent' | 'skipped' | 'failed' | 'waited' | 'branched' | 'done';
  detail: Record<string, unknown> | null;
  messageId?: string | null;
  next: number;
  dueAt: Date;
}

async function runStep(
  context: RunnerContext,
  ctx: RequestContext,
  sequence: CampaignSequence,
  enrollment: Pick<CampaignSequenceEnrollment, 'id' | 'contactId'>,
  contact: Contact,
  index: number,
): Promise<StepOutcome> {
  const step = sequence.steps[index]!;
  const { now, em, workspaceId } = context;
  const next = index + 1;
  switch (step.type) {
    case StepType.SEND_EMAIL: {
      const reasons = await skipReasons(ctx, context.settings, new Map([[contact.id, contact]]));
      const reason = reasons.get(contact.id);
      if (reason) return { outcome: 'skipped', detail: { reason }, next, dueAt: now };
      const template = await em.findOne(CampaignTemplate, { id: step.templateId, workspaceId, deletedAt: null }, { filters: false });
      if (!template) return { outcome: 'failed', detail: { error: 'the template was deleted' }, next, dueAt: now };
      try {
        const message = await sendEmail(em, {
          workspaceId,
          actorId: sequence.createdBy ?? null,
          to: contact.primaryEmail!.trim().toLowerCase(),
          contactId: contact.id,
          content: { subject: template.subject, html: template.compiledHtml, text: template.textBody ?? null },
          data: { unsubscribeUrl: '', campaignName: sequence.name },
          source: sequenceSource(enrollment.id, index),
        });
        return { outcome: 'sent', detail: null, messageId: message.id, next, dueAt: now };
      } catch (error) {
        if (!(error instanceof InputRejected)) throw error;
        return { outcome: 'failed', detail: { error: error.message.slice(0, 1000) }, next, dueAt: now };
      }
    }
    case StepType.WAIT: {
      const until = waitEnd(step, now, sequence.timeZone);
      return { outcome: 'waited', detail: { until: until.toISOString() }, next, dueAt: until };
    }
    case StepType.BRANCH: {
      const held = await branchHolds(context, ctx, step, enrollment.id, contact.id);
      return {
        outcome: 'branched',
        detail: { held: held.held, ...(held.error ? { error: held.error } : {}) },
        next: held.held ? step.thenStep : step.elseStep,
        dueAt: now,
      };
    }
    case StepType.CREATE_TASK: {
      const ownerId = contact.owner?.id ?? null;
      try {
        const task = await logActivity(ctx, {
          type: 'TASK',
          subject: step.subject,
          assigneeId: ownerId ? toGlobalId('User', ownerId) : null,
          dueAt: step.dueInDays != null ? new Date(now.getTime() + step.dueInDays * 86_400_000) : null,
          targetIds: [toGlobalId('Contact', contact.id)],
          idempotencyKey: sequenceSource(enrollment.id, index),
        });
        return { outcome: 'done', detail: { activityId: task.id, assigneeId: ownerId }, next, dueAt: now };
      } catch (error) {
        if (!(error instanceof InputRejected)) throw error;
        return { outcome: 'failed', detail: { error: error.message.slice(0, 1000) }, next, dueAt: now };
      }
    }
    case StepType.UPDATE_FIELD: {
      try {
        await updateContact(ctx, { id: toGlobalId('Contact', contact.id), version: contact.version, [step.field]: step.value });
        return { outcome: 'done', detail: { field: step.field, value: step.value }, next, dueAt: now };
      } catch (error) {
        if (!(error instanceof InputRejected)) throw error;
        return { outcome: 'failed', detail: { error: error.message.slice(0, 1000) }, next, dueAt: now };
      }
    }
  }
}

async function branchHolds(
  context: RunnerContext,
  ctx: RequestContext,
  step: Extract<SequenceStep, { type: StepType.BRANCH }>,
  enrollmentId: string,
  contactId: string,
): Promise<{ held: boolean; error?: string }> {
  if (step.on === BranchOn.RULES) {
    try {
      const compiled = await validateContactRules(ctx, step.rules);
      return { held: (await contactIdsMatching(ctx, compiled, { among: [contactId], now: context.now })).length > 0 };
    } catch (error) {
      // rules that no longer validate (a custom field deleted since) do not hold
      if (!(error instanceof InputRejected)) throw error;
      return { held: false, error: error.message.slice(0, 1000) };
    }
  }
  const q = sql`select id from campaign_sequence_step_run where workspace_id = ${context.workspaceId}
    and enrollment_id = ${enrollmentId} and step_index = ${step.emailStep} and outcome = 'sent'`;
  const [sent] = await context.em.execute<{ id: string }[]>(q.text, q.params);
  if (!sent) return { held: false };
  const kind = step.on === BranchOn.OPENED ? EngagementKind.OPEN : EngagementKind.CLICK;
  return { held: await emailEngaged(context.em, context.workspaceId, sent.id, kind) };
}

interface EnrollmentRow {
  id: string;
  sequence_id: string;
  contact_id: string;
  status: string;
  step_index: number;
  next_run_at: Date | string | null;
}

/**
 * Runs an enrollment's due steps (the `sequence-step` job's transaction): locks the enrollment, re-checks the
 * sequence (paused: hold, nothing changes; archived or deleted: exit) and the exit conditions, then claims the step
 * with its unique (enrollment, step) run row before it acts, records the outcome, and moves on — at once to the next
 * step, or, after a wait, by enqueueing itself for the wait's end. Returns the steps run.
 */
export async function runDueSteps(context: RunnerContext, enrollmentId: string): Promise<number> {
  const { em, workspaceId, now } = context;
  let ran = 0;
  for (;;) {
    const q = sql`select id, sequence_id, contact_id, status, step_index, next_run_at from campaign_sequence_enrollment
      where workspace_id = ${workspaceId} and id = ${enrollmentId} for update`;
    const [row] = await em.execute<EnrollmentRow[]>(q.text, q.params);
    if (!row || row.status !== EnrollmentStatus.ACTIVE) return ran;
    const sequence = await em.findOne(CampaignSequence, { id: row.sequence_id, workspaceId }, { filters: false, refresh: true });
    if (!sequence || sequence.deletedAt || sequence.status === SequenceStatus.ARCHIVED) {
      const reason = !sequence || sequence.deletedAt ? ExitReason.DELETED : ExitReason.ARCHIVED;
      await exitEnrollments(em, workspaceId, sql`id = ${row.id}`, reason, now);
      return ran;
    }
    if (sequence.status === SequenceStatus.PAUSED) return ran;
    const dueAt = row.next_run_at ? new Date(row.next_run_at) : now;
    if (dueAt > now) {
      await enqueueJob(context, stepJob, { enrollmentId }, { workspaceId, singletonKey: enrollmentId, startAfter: dueAt });
      return ran;
    }
    const index = Number(row.step_index);
    if (index >= sequence.steps.length) {
      await finish(em, workspaceId, row.id, now);
      return ran;
    }
    const done = await actAs(context, null, async (ctx) => {
      const contact = ((await contacts.readable(ctx).load(row.contact_id)) as Contact | null) ?? null;
      const exit = await exitReasonFor(ctx, sequence, contact);
      if (exit) {
        await exitEnrollments(em, workspaceId, sql`id = ${row.id}`, exit, now);
        return true;
      }
      const claim = sql`insert into campaign_sequence_step_run (id, workspace_id, created_at, updated_at, enrollment_id, step_index, kind, outcome)
        values (gen_random_uuid(), ${workspaceId}, ${now}, ${now}, ${row.id}, ${index}, ${sequence.steps[index]!.type}, 'running')
        on conflict (enrollment_id, step_index) do nothing returning id`;
      const [claimed] = await em.execute<{ id: string }[]>(claim.text, claim.params);
      if (!claimed) throw new Error(`sequence enrollment ${row.id}: step ${index} already ran but the enrollment did not move on`);
      const result = await runStep(context, ctx, sequence, { id: row.id, contactId: row.contact_id }, contact!, index);
      const record = sql`update campaign_sequence_step_run set outcome = ${result.outcome},
        detail = cast(${result.detail ? JSON.stringify(result.detail) : null} as jsonb), message_id = ${result.messageId ?? null},
        updated_at = ${now} where id = ${claimed.id}`;
      await em.execute(record.text, record.params, 'run');
      const advance = sql`update campaign_sequence_enrollment set step_index = ${result.next}, next_run_at = ${result.dueAt},
        updated_at = ${now} where id = ${row.id}`;
      await em.execute(advance.text, advance.params, 'run');
      return false;
    });
    if (done) return ran;
    ran++;
  }
}

async function finish(em: Em, workspaceId: string, enrollmentId: string, now: Date): Promise<void> {
  const q = sql`update campaign_sequence_enrollment set status = 'completed', finished_at = ${now}, next_run_at = null, updated_at = ${now}
    where workspace_id = ${workspaceId} and id = ${enrollmentId} and status = 'active'`;
  await em.execute(q.text, q.params, 'run');
}

/** Schedules the step job of every active enrollment of a sequence (resume): due ones run now, waiting ones at their time. */
export async function scheduleEnrollments(context: { em: Em }, sequence: CampaignSequence, now: Date, limit = 10_000): Promise<number> {
  const q = sql`select id, next_run_at from campaign_sequence_enrollment where workspace_id = ${sequence.workspaceId}
    and sequence_id = ${sequence.id} and status = 'active' order by next_run_at limit ${limit}`;
  const rows = await context.em.execute<{ id: string; next_run_at: Date | string | null }[]>(q.text, q.params);
  for (const row of rows) {
    const at = row.next_run_at ? new Date(row.next_run_at) : now;
    await enqueueJob(
      context,
      stepJob,
      { enrollmentId: row.id },
      { workspaceId: sequence.workspaceId, singletonKey: row.id, ...(at > now ? { startAfter: at } : {}) },
    );
  }
  return rows.length;
}

/** Enrollments of running sequences whose step came due and whose job was lost get a job again (per sweep, 1,000). */
export async function sweepSequences(context: RunnerContext): Promise<number> {
  const q = sql`select e.id from campaign_sequence_enrollment e join campaign_sequence s on s.id = e.sequence_id
    where e.workspace_id = ${context.workspaceId} and e.status = 'active' and e.next_run_at <= ${context.now}
      and s.status = 'active' and s.deleted_at is null
    order by e.next_run_at limit 1000`;
  const rows = await context.em.execute<{ id: string }[]>(q.text, q.params);
  for (const row of rows)
    await enqueueJob(context, stepJob, { enrollmentId: row.id }, { workspaceId: context.workspaceId, singletonKey: row.id });
  return rows.length;
}

export const stepJob = defineJob<{ enrollmentId: string }, CampaignSettings>({
  name: 'sequence-step',
  retryLimit: 5,
  retryDelaySeconds: 30,
  async run(context, { enrollmentId }) {
    await runDueSteps(context, enrollmentId);
  },
});

export const sequenceSweepJob = defineJob<Record<string, never>, CampaignSettings>({
  name: 'sequence-sweep',
  cron: '* * * * *',
  async run(context) {
    await sweepSequences(context);
  },
});

export const sequenceJobs = [stepJob, sequenceSweepJob];
