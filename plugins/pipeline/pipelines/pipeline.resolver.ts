import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { expectGlobalId, runMutation, Sql, sql, readRows, toGlobalId, type RequestContext } from '../../../src/sdk/index.js';
import { Pipeline, PipelineStage } from '../entities.js';
import { PIPELINE, PIPELINE_STAGE } from '../deals/deal-scope.js';
import {
  AddPipelineStageInput,
  CreatePipelineInput,
  DeletePipelineInput,
  DeletePipelinePayload,
  DeletePipelineStageInput,
  PipelineNode,
  PipelinePayload,
  PipelineStageNode,
  PipelineStagePayload,
  ReorderPipelineStagesInput,
  UpdatePipelineInput,
  UpdatePipelineStageInput,
} from './pipeline.types.js';
import {
  addPipelineStage,
  createPipeline,
  deletePipeline,
  deletePipelineStage,
  reorderPipelineStages,
  updatePipeline,
  updatePipelineStage,
} from './pipeline.service.js';

/** The stages of many pipelines, ordered, in one query per request batch. */
export function stagesLoader(ctx: RequestContext) {
  return ctx.loaders.get<string, PipelineStage[]>('pipeline.stages', async (ids, c) => {
    const q = sql`select * from pipeline_stage where workspace_id = ${c.principal.workspaceId} and pipeline_id in (${Sql.join(
      ids.map((id) => sql`${id}`),
      ', ',
    )}) order by position, name`;
    const stages = readRows(c.em, PipelineStage, await c.em.execute(q.text, q.params));
    return ids.map((id) => stages.filter((s) => s.pipelineId === id));
  });
}

/** Live pipelines by id (null for trashed, missing or foreign ones). */
export function livePipelines(ctx: RequestContext) {
  return ctx.loaders.byIdWhere(Pipeline, 'live', () => sql`t.deleted_at is null`);
}

@Resolver(() => PipelineNode)
export class PipelineResolver {
  @Query(() => [PipelineNode], { description: 'The workspace’s pipelines, in order (needs deal:read).' })
  async pipelines(@Ctx() ctx: RequestContext) {
    const q = sql`select * from pipeline where workspace_id = ${ctx.principal.workspaceId} and deleted_at is null order by position, lower(name), id`;
    return readRows(ctx.em, Pipeline, await ctx.em.execute(q.text, q.params));
  }

  @Query(() => PipelineNode, { nullable: true })
  pipeline(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return livePipelines(ctx).load(expectGlobalId(id, PIPELINE, 'id'));
  }

  @Mutation(() => PipelinePayload, { description: 'Creates a pipeline with its stages (needs pipeline:manage).' })
  createPipeline(@Arg('input', () => CreatePipelineInput) input: CreatePipelineInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ pipeline: await createPipeline(tx, input) }));
  }

  @Mutation(() => PipelinePayload, { description: 'Renames a pipeline or makes it the default.' })
  updatePipeline(@Arg('input', () => UpdatePipelineInput) input: UpdatePipelineInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ pipeline: await updatePipeline(tx, input) }));
  }

  @Mutation(() => DeletePipelinePayload)
  deletePipeline(@Arg('input', () => DeletePipelineInput) input: DeletePipelineInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const { id, moved } = await deletePipeline(tx, input);
      return { deletedId: toGlobalId(PIPELINE, id), movedDeals: moved };
    });
  }

  @Mutation(() => PipelineStagePayload)
  addPipelineStage(@Arg('input', () => AddPipelineStageInput) input: AddPipelineStageInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, (tx) => addPipelineStage(tx, input));
  }

  @Mutation(() => PipelineStagePayload)
  updatePipelineStage(@Arg('input', () => UpdatePipelineStageInput) input: UpdatePipelineStageInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, (tx) => updatePipelineStage(tx, input));
  }

  @Mutation(() => PipelinePayload)
  reorderPipelineStages(@Arg('input', () => ReorderPipelineStagesInput) input: ReorderPipelineStagesInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ pipeline: await reorderPipelineStages(tx, input) }));
  }

  @Mutation(() => PipelinePayload, { description: 'Deletes a stage, moving its deals to another stage of the pipeline first.' })
  deletePipelineStage(@Arg('input', () => DeletePipelineStageInput) input: DeletePipelineStageInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ pipeline: (await deletePipelineStage(tx, input)).pipeline }));
  }

  @FieldResolver(() => ID)
  id(@Root() pipeline: Pipeline) {
    return toGlobalId(PIPELINE, pipeline.id);
  }

  @FieldResolver(() => [PipelineStageNode], { description: 'Stages in order.' })
  stages(@Root() pipeline: Pipeline, @Ctx() ctx: RequestContext) {
    return stagesLoader(ctx).load(pipeline.id);
  }
}

@Resolver(() => PipelineStageNode)
export class PipelineStageResolver {
  @FieldResolver(() => ID)
  id(@Root() stage: PipelineStage) {
    return toGlobalId(PIPELINE_STAGE, stage.id);
  }

  @FieldResolver(() => PipelineNode)
  pipeline(@Root() stage: PipelineStage, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Pipeline).load(stage.pipelineId);
  }
}
