import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLISODateTime } from 'type-graphql';
import { Connection, GraphQLJSON, Node, UserError } from '../../../src/sdk/index.js';
import { EnrollmentSource, EnrollmentStatus, SequenceStatus } from './entities.js';
import { EnrollOutcome } from './sequence.service.js';
import { BranchOn, SequenceField, StepType, Weekday } from './steps.js';

registerEnumType(SequenceStatus, {
  name: 'CampaignSequenceStatus',
  description: 'ACTIVE runs its enrollments; PAUSED holds them; ARCHIVED ended them (final).',
});
registerEnumType(StepType, { name: 'CampaignSequenceStepType' });
registerEnumType(BranchOn, { name: 'CampaignSequenceBranchOn' });
registerEnumType(Weekday, { name: 'CampaignWeekday' });
registerEnumType(SequenceField, { name: 'CampaignSequenceField', description: 'Contact fields an UPDATE_FIELD step may set.' });
registerEnumType(EnrollmentStatus, { name: 'CampaignSequenceEnrollmentStatus' });
registerEnumType(EnrollmentSource, { name: 'CampaignSequenceEnrollmentSource' });
registerEnumType(EnrollOutcome, { name: 'CampaignSequenceEnrollOutcome' });

@ObjectType('CampaignSequenceStep', { description: 'One step; `type` says which of the other fields apply.' })
export class CampaignSequenceStepNode {
  @Field(() => StepType) type!: StepType;
  @Field(() => ID, { nullable: true, description: 'SEND_EMAIL: the campaign template.' }) templateId?: string | null;
  @Field(() => Int, { nullable: true, description: 'WAIT for a duration: its length in minutes.' }) waitMinutes?: number | null;
  @Field(() => [Weekday], { nullable: true, description: 'WAIT until: on one of these days (empty: any day) …' }) untilWeekdays?:
    | Weekday[]
    | null;
  @Field(() => String, { nullable: true, description: '… at this time (HH:MM) in the sequence’s time zone.' }) untilTime?: string | null;
  @Field(() => BranchOn, { nullable: true }) branchOn?: BranchOn | null;
  @Field(() => Int, { nullable: true, description: 'OPENED / CLICKED: the SEND_EMAIL step whose message counts.' }) emailStep?:
    | number
    | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'RULES: contact rules.' }) rules?: unknown;
  @Field(() => Int, { nullable: true, description: 'Where a branch goes when its condition holds.' }) thenStep?: number | null;
  @Field(() => Int, { nullable: true, description: 'Where a branch goes otherwise (the step count: the end).' }) elseStep?: number | null;
  @Field(() => String, { nullable: true }) taskSubject?: string | null;
  @Field(() => Int, { nullable: true }) taskDueInDays?: number | null;
  @Field(() => SequenceField, { nullable: true }) field?: SequenceField | null;
  @Field(() => String, { nullable: true }) value?: string | null;
}

@ObjectType('CampaignSequenceExitOn')
export class CampaignSequenceExitOnNode {
  @Field({ description: 'Exit on do-not-email, do-not-contact, withdrawn consent or an unsubscribe.' }) unsubscribed!: boolean;
  @Field({ description: 'Exit once the contact’s lifecycle stage is CUSTOMER.' }) becameCustomer!: boolean;
  @Field(() => ID, { nullable: true, description: 'Exit when the contact is a member of this segment.' }) enteredSegmentId?: string | null;
}

@ObjectType('CampaignSequenceEnrollmentCounts')
export class CampaignSequenceEnrollmentCounts {
  @Field(() => Int) active!: number;
  @Field(() => Int) completed!: number;
  @Field(() => Int) exited!: number;
}

@ObjectType('CampaignSequenceStepRun', { description: 'A step an enrollment ran.' })
export class CampaignSequenceStepRunNode {
  @Field(() => Int) stepIndex!: number;
  @Field(() => StepType) type!: StepType;
  @Field({ description: 'sent, skipped, failed, waited, branched or done.' }) outcome!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: 'The skip reason, error, branch result, task id or wait end.' })
  detail?: unknown;
  @Field(() => GraphQLISODateTime) ranAt!: Date;
}

@ObjectType('CampaignSequenceEnrollment', { implements: Node })
export class CampaignSequenceEnrollmentNode extends Node {
  @Field(() => ID) contactId!: string;
  @Field(() => EnrollmentStatus) status!: EnrollmentStatus;
  @Field(() => Int, { description: 'The next step to run.' }) stepIndex!: number;
  @Field(() => GraphQLISODateTime, { nullable: true }) nextRunAt?: Date | null;
  @Field(() => EnrollmentSource) source!: EnrollmentSource;
  @Field(() => String, {
    nullable: true,
    description: 'contact_gone, unsubscribed, became_customer, entered_segment, archived or deleted.',
  })
  exitReason?: string | null;
  @Field(() => GraphQLISODateTime, { description: 'When the contact was enrolled.' }) createdAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) finishedAt?: Date | null;
}

export const CampaignSequenceEnrollmentConnection = Connection(CampaignSequenceEnrollmentNode, 'CampaignSequenceEnrollment');

@ObjectType('CampaignSequence', { implements: Node, description: 'A sequence (drip) of steps run per enrolled contact (campaigns).' })
export class CampaignSequenceNode extends Node {
  @Field() name!: string;
  @Field(() => SequenceStatus) status!: SequenceStatus;
  @Field({ description: 'IANA zone of the WAIT-until steps.' }) timeZone!: string;
  @Field(() => Int) version!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

@InputType()
export class CampaignSequenceStepInput {
  @Field(() => StepType) type!: StepType;
  @Field(() => ID, { nullable: true }) templateId?: string | null;
  @Field(() => Int, { nullable: true }) waitDays?: number | null;
  @Field(() => Int, { nullable: true }) waitHours?: number | null;
  @Field(() => Int, { nullable: true }) waitMinutes?: number | null;
  @Field(() => [Weekday], { nullable: true }) untilWeekdays?: Weekday[] | null;
  @Field(() => String, { nullable: true, description: 'HH:MM, in the sequence’s time zone.' }) untilTime?: string | null;
  @Field(() => BranchOn, { nullable: true }) branchOn?: BranchOn | null;
  @Field(() => Int, { nullable: true }) emailStep?: number | null;
  @Field(() => GraphQLJSON, { nullable: true }) rules?: unknown;
  @Field(() => Int, { nullable: true, description: 'Default: the next step.' }) thenStep?: number | null;
  @Field(() => Int, { nullable: true }) elseStep?: number | null;
  @Field(() => String, { nullable: true }) taskSubject?: string | null;
  @Field(() => Int, { nullable: true }) taskDueInDays?: number | null;
  @Field(() => SequenceField, { nullable: true }) field?: SequenceField | null;
  @Field(() => String, { nullable: true }) value?: string | null;
}

@InputType()
export class CampaignSequenceExitOnInput {
  @Field(() => Boolean, { nullable: true, description: 'Default true.' }) unsubscribed?: boolean | null;
  @Field(() => Boolean, { nullable: true, description: 'Default false.' }) becameCustomer?: boolean | null;
  @Field(() => ID, { nullable: true }) enteredSegmentId?: string | null;
}

@InputType()
export class CreateCampaignSequenceInput {
  @Field() name!: string;
  @Field(() => String, { nullable: true, description: 'IANA zone of WAIT-until steps; default UTC.' }) timeZone?: string | null;
  @Field(() => ID, { nullable: true, description: 'Contacts entering this segment are enrolled.' }) triggerSegmentId?: string | null;
  @Field(() => CampaignSequenceExitOnInput, { nullable: true }) exitOn?: CampaignSequenceExitOnInput | null;
  @Field(() => [CampaignSequenceStepInput]) steps!: CampaignSequenceStepInput[];
}

@InputType({ description: 'Only the given fields change; steps only while nobody is enrolled.' })
export class UpdateCampaignSequenceInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true }) version?: number | null;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) timeZone?: string | null;
  @Field(() => ID, { nullable: true }) triggerSegmentId?: string | null;
  @Field(() => CampaignSequenceExitOnInput, { nullable: true }) exitOn?: CampaignSequenceExitOnInput | null;
  @Field(() => [CampaignSequenceStepInput], { nullable: true }) steps?: CampaignSequenceStepInput[] | null;
}

@InputType()
export class CampaignSequenceIdInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true }) version?: number | null;
}

@InputType()
export class EnrollInSequenceInput {
  @Field(() => ID) sequenceId!: string;
  @Field(() => [ID]) contactIds!: string[];
}

@ObjectType()
export class CampaignSequencePayload {
  @Field(() => CampaignSequenceNode, { nullable: true }) sequence?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class DeleteCampaignSequencePayload {
  @Field(() => ID, { nullable: true }) deletedId?: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType('CampaignSequenceEnrollResult')
export class CampaignSequenceEnrollResult {
  @Field(() => ID) contactId!: string;
  @Field(() => EnrollOutcome) outcome!: EnrollOutcome;
  @Field(() => CampaignSequenceEnrollmentNode, { nullable: true, description: 'The new enrollment (ENROLLED only).' })
  enrollment?: unknown;
}

@ObjectType()
export class EnrollInSequencePayload {
  @Field(() => CampaignSequenceNode, { nullable: true }) sequence?: unknown;
  @Field(() => [CampaignSequenceEnrollResult], { nullable: true }) results?: CampaignSequenceEnrollResult[] | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
