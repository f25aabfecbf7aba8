import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ContactNode, GraphQLJSON, MoneyInput, Node, UserError, UserNode } from '../../../src/sdk/index.js';
import { DealPriority, DealStatus } from '../entities.js';
import { PipelineStageNode } from '../pipelines/pipeline.types.js';

registerEnumType(DealStatus, { name: 'DealStatus', description: 'Follows the kind of the deal’s stage.' });
registerEnumType(DealPriority, { name: 'DealPriority' });

@ObjectType('Deal', { implements: Node, description: 'A sales opportunity moving through a pipeline (pipeline plugin).' })
export class DealNode extends Node {
  @Field() name!: string;
  @Field(() => DealStatus) status!: DealStatus;
  @Field(() => String, { nullable: true, description: 'Set while the deal is LOST.' }) lostReason?: string | null;
  @Field(() => String, { nullable: true }) source?: string | null;
  @Field(() => DealPriority, { nullable: true }) priority?: DealPriority | null;
  @Field(() => String, { nullable: true, description: 'Expected close date, YYYY-MM-DD.' }) expectedCloseDate?: string | null;
  @Field(() => GraphQLJSON, { description: 'Custom field values by key.' }) customFields!: Record<string, unknown>;
  @Field({ description: 'When the deal entered its current stage.' }) stageEnteredAt!: Date;
  @Field(() => Date, { nullable: true, description: 'When the deal was won or lost; null while open.' }) closedAt?: Date | null;
  @Field(() => Int, { description: 'Optimistic-locking version: send it back when you change the deal.' }) version!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
  @Field(() => Date, { nullable: true, description: 'Set while the deal is in the trash.' }) deletedAt?: Date | null;
}

@ObjectType('DealContact', { description: 'A contact on a deal, with their role in it.' })
export class DealContactNode {
  @Field(() => ContactNode) contact!: unknown;
  @Field(() => String, { nullable: true, description: 'E.g. decision maker, champion.' }) role?: string | null;
  @Field() isPrimary!: boolean;
}

@ObjectType({ description: 'One stay of a deal in a stage.' })
export class DealStageStay {
  @Field(() => PipelineStageNode, { nullable: true, description: 'Null when the stage was deleted since.' }) stage?: unknown;
  @Field() enteredAt!: Date;
  @Field(() => Date, { nullable: true, description: 'Null while the deal is still there.' }) leftAt?: Date | null;
  @Field(() => UserNode, { nullable: true }) enteredBy?: unknown;
  @Field(() => UserNode, { nullable: true }) leftBy?: unknown;
  @Field(() => Int, { description: 'Seconds spent there (until now while still there).' }) durationSeconds!: number;
}

@InputType()
export class DealContactInput {
  @Field(() => ID) contactId!: string;
  @Field(() => String, { nullable: true }) role?: string | null;
  @Field({ defaultValue: false, description: 'One contact is primary: the first flagged, else the first.' }) isPrimary!: boolean;
}

@InputType()
export class CreateDealInput {
  @Field() name!: string;
  @Field(() => MoneyInput, { nullable: true }) amount?: MoneyInput | null;
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD.' }) expectedCloseDate?: string | null;
  @Field(() => ID, { nullable: true, description: 'Default: you.' }) ownerId?: string | null;
  @Field(() => ID, { nullable: true }) companyId?: string | null;
  @Field(() => [DealContactInput], { nullable: true }) contacts?: DealContactInput[];
  @Field(() => ID, { nullable: true, description: 'Default: the stage’s pipeline, else the default pipeline.' }) pipelineId?: string | null;
  @Field(() => ID, { nullable: true, description: 'Default: the pipeline’s first OPEN stage.' }) stageId?: string | null;
  @Field(() => String, { nullable: true }) source?: string | null;
  @Field(() => DealPriority, { nullable: true }) priority?: DealPriority | null;
  @Field(() => [ID], { nullable: true }) tagIds?: string[];
  @Field(() => GraphQLJSON, { nullable: true }) customFields?: Record<string, unknown>;
}

@InputType({
  description: 'Only the given fields change; `null` clears a field. Stages change through moveDealToStage, markDealWon/Lost, reopenDeal.',
})
export class UpdateDealInput {
  @Field(() => ID) id!: string;
  @Field(() => Int) version!: number;
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => MoneyInput, { nullable: true }) amount?: MoneyInput | null;
  @Field(() => String, { nullable: true }) expectedCloseDate?: string | null;
  @Field(() => ID, { nullable: true }) ownerId?: string | null;
  @Field(() => ID, { nullable: true }) companyId?: string | null;
  @Field(() => [DealContactInput], { nullable: true, description: 'Replaces the deal’s contacts.' }) contacts?: DealContactInput[];
  @Field(() => String, { nullable: true }) source?: string | null;
  @Field(() => DealPriority, { nullable: true }) priority?: DealPriority | null;
  @Field(() => String, { nullable: true, description: 'Only while the deal is LOST.' }) lostReason?: string | null;
  @Field(() => [ID], { nullable: true }) tagIds?: string[];
  @Field(() => GraphQLJSON, { nullable: true, description: 'Merged over current values; a null value clears that key.' })
  customFields?: Record<string, unknown>;
}

@InputType({
  description:
    'Moves a deal to a stage. A stage of another pipeline needs `pipelineId` naming that pipeline too (an explicit move across pipelines). Moving into the WON/LOST stage wins/loses the deal.',
})
export class MoveDealToStageInput {
  @Field(() => ID) id!: string;
  @Field(() => Int) version!: number;
  @Field(() => ID) stageId!: string;
  @Field(() => ID, { nullable: true }) pipelineId?: string | null;
}

@InputType()
export class CloseDealInput {
  @Field(() => ID) id!: string;
  @Field(() => Int) version!: number;
}

@InputType()
export class MarkDealLostInput extends CloseDealInput {
  @Field(() => String, { nullable: true }) reason?: string | null;
}

@InputType({
  description:
    'Reopens a WON or LOST deal into an OPEN stage of its pipeline (default: the stage it was in last before closing, else the first).',
})
export class ReopenDealInput extends CloseDealInput {
  @Field(() => ID, { nullable: true }) stageId?: string | null;
}

@ObjectType()
export class DealPayload {
  @Field(() => DealNode, { nullable: true }) deal?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}
