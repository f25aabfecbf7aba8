import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import {
  ConnectionArgs,
  ContactNode,
  Sql,
  contacts,
  expectGlobalId,
  keysetPage,
  pageRequest,
  readColumns,
  readRow,
  readRows,
  runMutation,
  sql,
  toConnection,
  toGlobalId,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { SEGMENT } from '../segments/segment.service.js';
import { CAMPAIGN_TEMPLATE } from '../templates/template.service.js';
import { CampaignSequence, CampaignSequenceEnrollment, EnrollmentStatus } from './entities.js';
import {
  ENROLLMENT,
  SEQUENCE,
  archiveSequence,
  createSequence,
  deleteSequence,
  enrollByHand,
  pauseSequence,
  resumeSequence,
  updateSequence,
} from './sequence.service.js';
import {
  CampaignSequenceEnrollmentConnection,
  CampaignSequenceEnrollmentCounts,
  CampaignSequenceEnrollmentNode,
  CampaignSequenceExitOnNode,
  CampaignSequenceIdInput,
  CampaignSequenceNode,
  CampaignSequencePayload,
  CampaignSequenceStepNode,
  CampaignSequenceStepRunNode,
  CreateCampaignSequenceInput,
  DeleteCampaignSequencePayload,
  EnrollInSequenceInput,
  EnrollInSequencePayload,
  UpdateCampaignSequenceInput,
} from './sequence.types.js';
import { StepType, type SequenceStep } from './steps.js';

function stepNode(step: SequenceStep): CampaignSequenceStepNode {
  switch (step.type) {
    case StepType.SEND_EMAIL:
      return { type: step.type, templateId: toGlobalId(CAMPAIGN_TEMPLATE, step.templateId) };
    case StepType.WAIT:
      return 'minutes' in step
        ? { type: step.type, waitMinutes: step.minutes }
        : { type: step.type, untilWeekdays: step.untilWeekdays, untilTime: step.untilTime };
    case StepType.BRANCH:
      return {
        type: step.type,
        branchOn: step.on,
        thenStep: step.thenStep,
        elseStep: step.elseStep,
        ...('emailStep' in step ? { emailStep: step.emailStep } : { rules: step.rules }),
      };
    case StepType.CREATE_TASK:
      return { type: step.type, taskSubject: step.subject, taskDueInDays: step.dueInDays };
    case StepType.UPDATE_FIELD:
      return { type: step.type, field: step.field, value: step.value };
  }
}

@Resolver(() => CampaignSequenceNode)
export class CampaignSequenceResolver {
  @Query(() => [CampaignSequenceNode], { description: 'The workspace’s sequences, newest first (campaign:read).' })
  async campaignSequences(@Ctx() ctx: RequestContext) {
    const q = sql`select * from campaign_sequence where workspace_id = ${ctx.principal.workspaceId} and deleted_at is null
      order by created_at desc, id limit 500`;
    return readRows(ctx.em, CampaignSequence, await ctx.em.execute(q.text, q.params));
  }

  @Query(() => CampaignSequenceNode, { nullable: true })
  campaignSequence(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return ctx.em.findOne(CampaignSequence, { id: expectGlobalId(id, SEQUENCE, 'id'), deletedAt: null });
  }

  @Mutation(() => CampaignSequencePayload, { description: 'Creates an ACTIVE sequence (campaign:manage).' })
  createCampaignSequence(@Arg('input', () => CreateCampaignSequenceInput) input: CreateCampaignSequenceInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ sequence: await createSequence(tx, input) }));
  }

  @Mutation(() => CampaignSequencePayload, {
    description: 'Changes a sequence; its steps only while nobody is enrolled (campaign:manage).',
  })
  updateCampaignSequence(@Arg('input', () => UpdateCampaignSequenceInput) input: UpdateCampaignSequenceInput, @Ctx() ctx: RequestContext) {
    const { id, version, ...fields } = input;
    return runMutation(ctx, async (tx) => ({ sequence: await updateSequence(tx, id, version, fields) }));
  }

  @Mutation(() => CampaignSequencePayload, { description: 'Holds every enrollment where it is (campaign:manage).' })
  pauseCampaignSequence(@Arg('input', () => CampaignSequenceIdInput) input: CampaignSequenceIdInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ sequence: await pauseSequence(tx, input.id) }));
  }

  @Mutation(() => CampaignSequencePayload, { description: 'Continues the held enrollments (campaign:manage).' })
  resumeCampaignSequence(@Arg('input', () => CampaignSequenceIdInput) input: CampaignSequenceIdInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ sequence: await resumeSequence(tx, input.id, new Date()) }));
  }

  @Mutation(() => CampaignSequencePayload, { description: 'Ends the sequence: every active enrollment exits (campaign:manage).' })
  archiveCampaignSequence(@Arg('input', () => CampaignSequenceIdInput) input: CampaignSequenceIdInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ sequence: await archiveSequence(tx, input.id, new Date()) }));
  }

  @Mutation(() => DeleteCampaignSequencePayload, { description: 'Trashes the sequence; active enrollments exit (campaign:manage).' })
  deleteCampaignSequence(@Arg('input', () => CampaignSequenceIdInput) input: CampaignSequenceIdInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({
      deletedId: toGlobalId(SEQUENCE, await deleteSequence(tx, input.id, input.version, new Date())),
    }));
  }

  @Mutation(() => EnrollInSequencePayload, { description: 'Enrolls contacts by hand; a result per contact (campaign:manage).' })
  enrollInSequence(@Arg('input', () => EnrollInSequenceInput) input: EnrollInSequenceInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const { sequence, results } = await enrollByHand(tx, input, new Date());
      const ids = results.flatMap((r) => (r.enrollmentId ? [r.enrollmentId] : []));
      const rows = ids.length ? await tx.em.find(CampaignSequenceEnrollment, { id: { $in: ids } }) : [];
      const byId = new Map(rows.map((r) => [r.id, r]));
      return {
        sequence,
        results: results.map((r) => ({
          contactId: r.contactId,
          outcome: r.outcome,
          enrollment: r.enrollmentId ? byId.get(r.enrollmentId) : null,
        })),
      };
    });
  }

  @FieldResolver(() => ID)
  id(@Root() sequence: CampaignSequence) {
    return toGlobalId(SEQUENCE, sequence.id);
  }

  @FieldResolver(() => ID, { nullable: true, description: 'Contacts entering this segment are enrolled.' })
  triggerSegmentId(@Root() sequence: CampaignSequence) {
    return sequence.triggerSegmentId ? toGlobalId(SEGMENT, sequence.triggerSegmentId) : null;
  }

  @FieldResolver(() => CampaignSequenceExitOnNode)
  exitOn(@Root() sequence: CampaignSequence): CampaignSequenceExitOnNode {
    const exitOn = sequence.exitOn;
    return {
      unsubscribed: exitOn.unsubscribed,
      becameCustomer: exitOn.becameCustomer,
      enteredSegmentId: exitOn.enteredSegmentId ? toGlobalId(SEGMENT, exitOn.enteredSegmentId) : null,
    };
  }

  @FieldResolver(() => [CampaignSequenceStepNode])
  steps(@Root() sequence: CampaignSequence) {
    return sequence.steps.map(stepNode);
  }

  @FieldResolver(() => CampaignSequenceEnrollmentCounts)
  async enrollmentCounts(@Root() sequence: CampaignSequence, @Ctx() ctx: RequestContext): Promise<CampaignSequenceEnrollmentCounts> {
    const q = sql`select status, count(*)::int as n from campaign_sequence_enrollment
      where workspace_id = ${sequence.workspaceId} and sequence_id = ${sequence.id} group by status`;
    const rows = await ctx.em.execute<{ status: string; n: number }[]>(q.text, q.params);
    const of = (status: EnrollmentStatus) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    return { active: of(EnrollmentStatus.ACTIVE), completed: of(EnrollmentStatus.COMPLETED), exited: of(EnrollmentStatus.EXITED) };
  }

  @FieldResolver(() => CampaignSequenceEnrollmentConnection, { description: 'Newest first.' })
  async enrollments(
    @Root() sequence: CampaignSequence,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('status', () => EnrollmentStatus, { nullable: true }) status: EnrollmentStatus | null,
    @Ctx() ctx: RequestContext,
  ) {
    const where = Sql.and([
      sql`e.workspace_id = ${sequence.workspaceId} and e.sequence_id = ${sequence.id}`,
      status ? sql`e.status = ${status}` : sql`true`,
    ]);
    const page = await keysetPage(
      ctx.em,
      {
        from: 'campaign_sequence_enrollment e',
        select: readColumns(ctx.em, CampaignSequenceEnrollment, 'e'),
        where,
        orderBy: [{ expr: 'e.created_at', direction: 'DESC', nullable: false }],
        idExpr: 'e.id',
      },
      pageRequest(args),
      (row) => readRow(ctx.em, CampaignSequenceEnrollment, row),
    );
    return toConnection(page);
  }
}

@Resolver(() => CampaignSequenceEnrollmentNode)
export class CampaignSequenceEnrollmentResolver {
  @FieldResolver(() => ID)
  id(@Root() enrollment: CampaignSequenceEnrollment) {
    return toGlobalId(ENROLLMENT, enrollment.id);
  }

  @FieldResolver(() => ID)
  contactId(@Root() enrollment: CampaignSequenceEnrollment) {
    return toGlobalId('Contact', enrollment.contactId);
  }

  @FieldResolver(() => ContactNode, { nullable: true, description: 'The contact, if the caller may read it.' })
  async contact(@Root() enrollment: CampaignSequenceEnrollment, @Ctx() ctx: RequestContext) {
    const contact = await contacts.readable(ctx).load(enrollment.contactId);
    return contact && !contact.deletedAt ? contact : null;
  }

  @FieldResolver(() => [CampaignSequenceStepRunNode], { description: 'The steps it ran, in order.' })
  async history(@Root() enrollment: CampaignSequenceEnrollment, @Ctx() ctx: RequestContext): Promise<CampaignSequenceStepRunNode[]> {
    const q = sql`select step_index, kind, outcome, detail, created_at from campaign_sequence_step_run
      where workspace_id = ${enrollment.workspaceId} and enrollment_id = ${enrollment.id} order by created_at, step_index`;
    const rows = await ctx.em.execute<
      { step_index: number; kind: StepType; outcome: string; detail: unknown; created_at: Date | string }[]
    >(q.text, q.params);
    return rows.map((r) => ({
      stepIndex: Number(r.step_index),
      type: r.kind,
      outcome: r.outcome,
      detail: typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail,
      ranAt: new Date(r.created_at),
    }));
  }
}
