import { LockMode } from '@mikro-orm/core';
import {
  ErrorCode,
  InputRejected,
  expectGlobalId,
  expectVersion,
  readableContactIds,
  sql,
  userError,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { SEGMENT } from '../segments/segment.service.js';
import { CampaignSequence, EnrollmentSource, SequenceStatus, type SequenceExitOn } from './entities.js';
import { EnrollResult, ExitReason, enroll, exitEnrollments, scheduleEnrollments } from './runner.js';
import { MAX_NAME, checkLine, checkSteps, isTimeZone, type StepInput } from './steps.js';

export const SEQUENCE = 'CampaignSequence';
export const ENROLLMENT = 'CampaignSequenceEnrollment';
/** Contacts per enrollInSequence call. */
export const MAX_ENROLL = 1000;

const workspaceOf = (ctx: RequestContext) => ctx.principal.workspaceId!;

export interface ExitOnInput {
  unsubscribed?: boolean | null;
  becameCustomer?: boolean | null;
  enteredSegmentId?: string | null;
}

export interface SequenceInput {
  name?: string | null;
  timeZone?: string | null;
  triggerSegmentId?: string | null;
  exitOn?: ExitOnInput | null;
  steps?: StepInput[] | null;
}

/** A live sequence of the caller's workspace by global id (NOT_FOUND otherwise), locked for the write when `lock`. */
export async function liveSequence(ctx: RequestContext, globalId: string, field = 'id', lock = false): Promise<CampaignSequence> {
  const id = expectGlobalId(globalId, SEQUENCE, field);
  const sequence = await ctx.em.findOne(
    CampaignSequence,
    { id, workspaceId: workspaceOf(ctx), deletedAt: null },
    lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
  );
  if (!sequence) throw InputRejected.one(field, 'sequence not found', ErrorCode.NOT_FOUND);
  return sequence;
}

async function segmentIdOrReject(ctx: RequestContext, globalId: string, field: string): Promise<string> {
  const id = expectGlobalId(globalId, SEGMENT, field);
  const q = sql`select 1 from campaign_segment where workspace_id = ${workspaceOf(ctx)} and id = ${id} and deleted_at is null`;
  if (!(await ctx.em.execute(q.text, q.params)).length) throw InputRejected.one(field, 'segment not found', ErrorCode.NOT_FOUND);
  return id;
}

/** Every field given, checked (all problems at once where they are independent); nothing is written here. */
async function checkFields(ctx: RequestContext, input: SequenceInput, creating: boolean) {
  const errors = [];
  let name: string | undefined;
  if (input.name != null || creating) {
    const line = checkLine(input.name ?? '', MAX_NAME);
    if ('problem' in line) errors.push(userError('name', line.problem));
    else name = line.value;
  }
  if (input.timeZone != null && !isTimeZone(input.timeZone))
    errors.push(userError('timeZone', 'is not an IANA time zone (e.g. Europe/Berlin)'));
  const collect = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof InputRejected)) throw error;
      errors.push(...error.errors);
      return undefined;
    }
  };
  const triggerSegmentId =
    input.triggerSegmentId === undefined
      ? undefined
      : input.triggerSegmentId === null
        ? null
        : await collect(() => segmentIdOrReject(ctx, input.triggerSegmentId!, 'triggerSegmentId'));
  const exitSegment = input.exitOn?.enteredSegmentId;
  const enteredSegmentId = exitSegment ? await collect(() => segmentIdOrReject(ctx, exitSegment, 'exitOn.enteredSegmentId')) : null;
  const steps = input.steps != null || creating ? await collect(() => checkSteps(ctx, input.steps)) : undefined;
  if (errors.length) throw new InputRejected(errors);
  const exitOn: SequenceExitOn | undefined = input.exitOn
    ? {
        unsubscribed: input.exitOn.unsubscribed ?? true,
        becameCustomer: input.exitOn.becameCustomer ?? false,
        enteredSegmentId: enteredSegmentId ?? null,
      }
    : undefined;
  return { name, timeZone: input.timeZone ?? undefined, triggerSegmentId, exitOn, steps };
}

export async function createSequence(ctx: RequestContext, input: SequenceInput): Promise<CampaignSequence> {
  const checked = await checkFields(ctx, input, true);
  const sequence = ctx.em.create(CampaignSequence, {
    workspaceId: workspaceOf(ctx),
    name: checked.name!,
    timeZone: checked.timeZone ?? 'UTC',
    triggerSegmentId: checked.triggerSegmentId ?? null,
    exitOn: checked.exitOn ?? { unsubscribed: true, becameCustomer: false, enteredSegmentId: null },
    steps: checked.steps!,
    createdBy: ctx.principal.userId ?? null,
  } as CampaignSequence);
  await ctx.em.flush();
  return sequence;
}

async function activeEnrollments(ctx: RequestContext, sequence: CampaignSequence): Promise<number> {
  const q = sql`select count(*)::int as n from campaign_sequence_enrollment
    where workspace_id = ${sequence.workspaceId} and sequence_id = ${sequence.id} and status = 'active'`;
  const [row] = await ctx.em.execute<{ n: number }[]>(q.text, q.params);
  return Number(row?.n ?? 0);
}

function expectNotArchived(sequence: CampaignSequence, what: string): void {
  if (sequence.status === SequenceStatus.ARCHIVED)
    throw InputRejected.one('id', `an archived sequence cannot be ${what}`, ErrorCode.CONFLICT);
}

/** Changes the given fields; the steps only while no enrollment is active (their step indexes point into them). */
export async function updateSequence(
  ctx: RequestContext,
  globalId: string,
  version: number | null | undefined,
  input: SequenceInput,
): Promise<CampaignSequence> {
  const sequence = await liveSequence(ctx, globalId, 'id', true);
  expectVersion(sequence.version, version);
  expectNotArchived(sequence, 'changed');
  const checked = await checkFields(ctx, input, false);
  if (checked.steps && (await activeEnrollments(ctx, sequence)) > 0)
    throw InputRejected.one(
      'steps',
      'the steps cannot change while contacts are enrolled (archive it and create another)',
      ErrorCode.CONFLICT,
    );
  if (checked.name !== undefined) sequence.name = checked.name;
  if (checked.timeZone !== undefined) sequence.timeZone = checked.timeZone;
  if (checked.triggerSegmentId !== undefined) sequence.triggerSegmentId = checked.triggerSegmentId;
  if (checked.exitOn) sequence.exitOn = checked.exitOn;
  if (checked.steps) sequence.steps = checked.steps;
  sequence.updatedAt = new Date();
  await ctx.em.flush();
  return sequence;
}

/** Pausing holds every enrollment where it is: no step runs until the sequence is resumed. */
export async function pauseSequence(ctx: RequestContext, globalId: string): Promise<CampaignSequence> {
  const sequence = await liveSequence(ctx, globalId, 'id', true);
  expectNotArchived(sequence, 'paused');
  if (sequence.status === SequenceStatus.PAUSED) throw InputRejected.one('id', 'the sequence is already paused', ErrorCode.CONFLICT);
  sequence.status = SequenceStatus.PAUSED;
  await ctx.em.flush();
  return sequence;
}

/** Resuming continues every enrollment: steps that came due while paused run now (once), waits still running end at their time. */
export async function resumeSequence(ctx: RequestContext, globalId: string, now: Date): Promise<CampaignSequence> {
  const sequence = await liveSequence(ctx, globalId, 'id', true);
  expectNotArchived(sequence, 'resumed');
  if (sequence.status === SequenceStatus.ACTIVE) throw InputRejected.one('id', 'the sequence is not paused', ErrorCode.CONFLICT);
  sequence.status = SequenceStatus.ACTIVE;
  await ctx.em.flush();
  await scheduleEnrollments(ctx, sequence, now);
  return sequence;
}

/** Archiving ends it: every active enrollment exits (`archived`), nobody is enrolled any more. */
export async function archiveSequence(ctx: RequestContext, globalId: string, now: Date): Promise<CampaignSequence> {
  const sequence = await liveSequence(ctx, globalId, 'id', true);
  expectNotArchived(sequence, 'archived again');
  sequence.status = SequenceStatus.ARCHIVED;
  await ctx.em.flush();
  await exitEnrollments(ctx.em, sequence.workspaceId, sql`sequence_id = ${sequence.id}`, ExitReason.ARCHIVED, now);
  return sequence;
}

/** Trashes it; its active enrollments exit (`deleted`), their history stays. */
export async function deleteSequence(ctx: RequestContext, globalId: string, version: number | null | undefined, now: Date) {
  const sequence = await liveSequence(ctx, globalId, 'id', true);
  expectVersion(sequence.version, version);
  sequence.deletedAt = now;
  await ctx.em.flush();
  await exitEnrollments(ctx.em, sequence.workspaceId, sql`sequence_id = ${sequence.id}`, ExitReason.DELETED, now);
  return sequence.id;
}

export enum EnrollOutcome {
  ENROLLED = 'enrolled',
  ALREADY_ENROLLED = 'already_enrolled',
  /** Not a live contact the caller may read. */
  NOT_FOUND = 'not_found',
}

/** Enrolls contacts by hand: a result per contact given (in order); an archived sequence is CONFLICT. */
export async function enrollByHand(
  ctx: RequestContext,
  input: { sequenceId: string; contactIds: string[] },
  now: Date,
): Promise<{ sequence: CampaignSequence; results: { contactId: string; outcome: EnrollOutcome; enrollmentId: string | null }[] }> {
  const sequence = await liveSequence(ctx, input.sequenceId, 'sequenceId', true);
  if (sequence.status === SequenceStatus.ARCHIVED)
    throw InputRejected.one('sequenceId', 'an archived sequence enrolls nobody', ErrorCode.CONFLICT);
  if (!input.contactIds.length) throw InputRejected.one('contactIds', 'give at least one contact');
  if (input.contactIds.length > MAX_ENROLL) throw InputRejected.one('contactIds', `at most ${MAX_ENROLL} contacts per call`);
  const ids = input.contactIds.map((g) => {
    try {
      return expectGlobalId(g, 'Contact', 'contactIds');
    } catch {
      return null;
    }
  });
  const readable = await readableContactIds(
    ctx,
    ids.filter((id): id is string => id !== null),
  );
  const enrolled = await enroll(ctx, sequence, [...readable], EnrollmentSource.MANUAL, now);
  const results = input.contactIds.map((contactId, i) => {
    const id = ids[i];
    const result = id && readable.has(id) ? enrolled.get(id) : undefined;
    if (!result) return { contactId, outcome: EnrollOutcome.NOT_FOUND, enrollmentId: null };
    const outcome = result.result === EnrollResult.ENROLLED ? EnrollOutcome.ENROLLED : EnrollOutcome.ALREADY_ENROLLED;
    return { contactId, outcome, enrollmentId: result.enrollmentId };
  });
  return { sequence, results };
}
