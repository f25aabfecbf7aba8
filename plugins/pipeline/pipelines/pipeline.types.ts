import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, UserError } from '../../../src/sdk/index.js';
import { StageKind } from '../entities.js';

registerEnumType(StageKind, {
  name: 'PipelineStageKind',
  description: 'OPEN stages hold deals in progress; a deal in the WON (LOST) stage is won (lost).',
});

@ObjectType('Pipeline', { implements: Node, description: 'A sales pipeline: ordered stages deals move through.' })
export class PipelineNode extends Node {
  @Field() name!: string;
  @Field(() => Int) position!: number;
  @Field({ description: 'The pipeline new deals go to when none is given.' }) isDefault!: boolean;
  @Field(() => Int) version!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

@ObjectType('PipelineStage', { implements: Node })
export class PipelineStageNode extends Node {
  @Field() name!: string;
  @Field(() => Int, { description: 'Order within the pipeline, from 0.' }) position!: number;
  @Field(() => Int, { description: 'Win probability in percent (0–100), for weighted forecasts.' }) probability!: number;
  @Field(() => StageKind) kind!: StageKind;
  @Field(() => Int, { nullable: true, description: 'A deal idle this many days in the stage is rotting; null: never.' }) rottingDays?:
    | number
    | null;
}

@InputType()
export class PipelineStageInput {
  @Field() name!: string;
  @Field(() => Int, { defaultValue: 0 }) probability!: number;
  @Field(() => StageKind, { defaultValue: StageKind.OPEN }) kind!: StageKind;
  @Field(() => Int, { nullable: true }) rottingDays?: number | null;
}

@InputType({ description: 'A pipeline needs at least one OPEN, one WON and one LOST stage; stage names are unique within it.' })
export class CreatePipelineInput {
  @Field() name!: string;
  @Field(() => [PipelineStageInput]) stages!: PipelineStageInput[];
  @Field(() => Boolean, { nullable: true, description: 'Make it the default pipeline (the first pipeline always is).' }) isDefault?:
    | boolean
    | null;
}

@InputType()
export class UpdatePipelineInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true }) version?: number | null;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'true makes it the default pipeline (there is always exactly one).' }) isDefault?:
    | boolean
    | null;
}

@InputType({ description: 'A pipeline holding deals (trashed ones too) is deleted only with a stage of another pipeline to move them to.' })
export class DeletePipelineInput {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true }) moveDealsToPipelineId?: string | null;
  @Field(() => ID, { nullable: true }) moveDealsToStageId?: string | null;
}

@InputType()
export class AddPipelineStageInput extends PipelineStageInput {
  @Field(() => ID) pipelineId!: string;
  @Field(() => Int, { nullable: true, description: 'Where to insert it (0 = first); default: last.' }) position?: number | null;
}

@InputType({ description: 'Only the given fields change. The kind of a stage holding deals cannot change.' })
export class UpdatePipelineStageInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => Int, { nullable: true }) probability?: number | null;
  @Field(() => StageKind, { nullable: true }) kind?: StageKind | null;
  @Field(() => Int, { nullable: true, description: 'null: never rots.' }) rottingDays?: number | null;
}

@InputType()
export class ReorderPipelineStagesInput {
  @Field(() => ID) pipelineId!: string;
  @Field(() => [ID], { description: 'Every stage of the pipeline exactly once, in the new order.' }) stageIds!: string[];
}

@InputType({ description: 'A stage holding deals (trashed ones too) is deleted only with a stage of the same pipeline to move them to.' })
export class DeletePipelineStageInput {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true }) moveDealsToStageId?: string | null;
}

@ObjectType()
export class PipelinePayload {
  @Field(() => PipelineNode, { nullable: true }) pipeline?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class PipelineStagePayload {
  @Field(() => PipelineStageNode, { nullable: true }) stage?: unknown;
  @Field(() => PipelineNode, { nullable: true }) pipeline?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class DeletePipelinePayload {
  @Field(() => ID, { nullable: true }) deletedId?: string | null;
  @Field(() => Int, { nullable: true, description: 'Deals moved to the target stage.' }) movedDeals?: number | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
