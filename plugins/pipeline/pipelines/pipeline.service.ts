import {
  ErrorCode,
  expectGlobalId,
  expectVersion,
  InputRejected,
  parseInput,
  sql,
  trimmed,
  z,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { Pipeline, PipelineStage, StageKind } from '../entities.js';
import { PIPELINE, PIPELINE_STAGE } from '../deals/deal-scope.js';
import { moveDealsInBulk } from '../deals/stage-moves.js';

/**
 * Pipelines and their stages. Validation (documented in the GraphQL inputs): every pipeline keeps at least one
 * OPEN, one WON and one LOST stage; stage names are unique per pipeline and pipeline names per workspace
 * (case-insensitive); at most 30 stages; probability 0–100; rotting days ≥ 1 or null. Deleting a stage or a
 * pipeline that holds deals needs a target stage, and moves the deals there with stage history.
 */

export const MAX_STAGES = 30;

const name = (max: number) => trimmed(max).pipe(z.string().min(1, { message: 'must not be empty' }));
const stageFields = {
  name: name(120),
  probability: z
    .number()
    .int({ message: 'must be a whole percent' })
    .min(0, { message: 'must be between 0 and 100' })
    .max(100, { message: 'must be between 0 and 100' }),
  kind: z.enum(StageKind),
  rottingDays: z
    .number()
    .int()
    .min(1, { message: 'must be at least 1 day, or null' })
    .max(3650, { message: 'must be at most 3650 days' })
    .nullish(),
};
const stageSchema = z.object(stageFields);
const createSchema = z.object({
  name: name(120),
  isDefault: z.boolean().nullish(),
  stages: z
    .array(stageSchema)
    .min(3, { message: 'a pipeline needs at least one OPEN, one WON and one LOST stage' })
    .max(MAX_STAGES, { message: `at most ${MAX_STAGES} stages` }),
});
const updateSchema = z.object({
  id: z.string(),
  version: z.number().int().nullish(),
  name: name(120).nullish(),
  isDefault: z.boolean().nullish(),
});
const addStageSchema = stageSchema.extend({ pipelineId: z.string(), position: z.number().int().min(0).nullish() });
const updateStageSchema = z.object({
  id: z.string(),
  name: stageFields.name.nullish(),
  probability: stageFields.probability.nullish(),
  kind: stageFields.kind.nullish(),
  rottingDays: stageFields.rottingDays,
});

const workspaceOf = (ctx: RequestContext) => ctx.principal.workspaceId!;

/** Rejects a set of stage kinds that lacks OPEN, WON or LOST. */
function requireEveryKind(kinds: StageKind[], field: string): void {
  const missing = [StageKind.OPEN, StageKind.WON, StageKind.LOST].filter((k) => !kinds.includes(k));
  if (missing.length) {
    throw InputRejected.one(
      field,
      `a pipeline needs at least one OPEN, one WON and one LOST stage (missing: ${missing.map((k) => k.toUpperCase()).join(', ')})`,
    );
  }
}

function rejectDuplicateNames(names: string[], field: string): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    const key = n.toLowerCase();
    if (seen.has(key)) throw InputRejected.one(`${field}.${i}.name`, `the pipeline already has a stage named "${n}"`, ErrorCode.CONFLICT);
    seen.add(key);
  });
}

async function rejectTakenPipelineName(ctx: RequestContext, pipelineName: string, exceptId: string | null): Promise<void> {
  const q = sql`select 1 from pipeline where workspace_id = ${workspaceOf(ctx)} and deleted_at is null and lower(name) = lower(${pipelineName}) and id is distinct from ${exceptId}`;
  if ((await ctx.em.execute(q.text, q.params)).length)
    throw InputRejected.one('name', `a pipeline named "${pipelineName}" already exists`, ErrorCode.CONFLICT);
}

/** A live pipeline of the workspace by global id, for editing (NOT_FOUND otherwise). */
export async function pipelineOrReject(ctx: RequestContext, globalId: string, field: string): Promise<Pipeline> {
  const id = expectGlobalId(globalId, PIPELINE, field);
  const pipeline = await ctx.em.findOne(Pipeline, { id, deletedAt: null });
  if (!pipeline) throw InputRejected.one(field, 'pipeline not found', ErrorCode.NOT_FOUND);
  return pipeline;
}

/** A stage of a live pipeline of the workspace by global id (NOT_FOUND otherwise). */
export async function stageOrReject(ctx: RequestContext, globalId: string, field: string): Promise<PipelineStage> {
  const id = expectGlobalId(globalId, PIPELINE_STAGE, field);
  const stage = await ctx.em.findOne(PipelineStage, { id });
  if (!stage || !(await ctx.em.findOne(Pipeline, { id: stage.pipelineId, deletedAt: null })))
    throw InputRejected.one(field, 'stage not found', ErrorCode.NOT_FOUND);
  return stage;
}

export async function stagesOf(ctx: RequestContext, pipelineId: string): Promise<PipelineStage[]> {
  return ctx.em.find(PipelineStage, { pipelineId }, { orderBy: { position: 'asc' } });
}

/** Makes one pipeline the default: clears the flag on the others. */
async function makeDefault(ctx: RequestContext, pipeline: Pipeline): Promise<void> {
  const q = sql`update pipeline set is_default = false, updated_at = now() where workspace_id = ${workspaceOf(ctx)} and is_default and id <> ${pipeline.id}`;
  await ctx.em.execute(q.text, q.params);
  pipeline.isDefault = true;
}

export async function createPipeline(ctx: RequestContext, input: unknown): Promise<Pipeline> {
  const data = parseInput(createSchema, input);
  requireEveryKind(
    data.stages.map((s) => s.kind),
    'stages',
  );
  rejectDuplicateNames(
    data.stages.map((s) => s.name),
    'stages',
  );
  await rejectTakenPipelineName(ctx, data.name, null);
  const em = ctx.em;
  const workspaceId = workspaceOf(ctx);
  const [{ n, next }] = (await em.execute<{ n: number; next: number }[]>(
    'select count(*)::int as n, coalesce(max(position) + 1, 0)::int as next from pipeline where workspace_id = ? and deleted_at is null',
    [workspaceId],
  )) as [{ n: number; next: number }];
  const pipeline = em.create(Pipeline, { workspaceId, name: data.name, position: Number(next), isDefault: false } as Pipeline);
  data.stages.forEach((s, position) => {
    em.create(PipelineStage, {
      workspaceId,
      pipelineId: pipeline.id,
      name: s.name,
      position,
      probability: s.probability,
      kind: s.kind,
      rottingDays: s.rottingDays ?? null,
    } as PipelineStage);
  });
  if (Number(n) === 0 || data.isDefault) await makeDefault(ctx, pipeline);
  await em.flush();
  return pipeline;
}

export async function updatePipeline(ctx: RequestContext, input: unknown): Promise<Pipeline> {
  const data = parseInput(updateSchema, input);
  const pipeline = await pipelineOrReject(ctx, data.id, 'id');
  expectVersion(pipeline.version, data.version);
  if (data.name != null && data.name !== pipeline.name) {
    await rejectTakenPipelineName(ctx, data.name, pipeline.id);
    pipeline.name = data.name;
  }
  if (data.isDefault === true) await makeDefault(ctx, pipeline);
  if (data.isDefault === false && pipeline.isDefault) {
    throw InputRejected.one('isDefault', 'there is always a default pipeline: make another one the default instead');
  }
  pipeline.updatedAt = new Date();
  await ctx.em.flush();
  return pipeline;
}

async function dealCount(ctx: RequestContext, column: 'pipeline_id' | 'stage_id', id: string): Promise<number> {
  const q = sql`select count(*)::int as n from deal where workspace_id = ${workspaceOf(ctx)} and ${column === 'stage_id' ? sql`stage_id = ${id}` : sql`pipeline_id = ${id}`}`;
  const [row] = await ctx.em.execute<{ n: number }[]>(q.text, q.params);
  return Number(row?.n ?? 0);
}

/** Soft-deletes a pipeline; its deals (trashed ones too) first move to the target stage of another pipeline. */
export async function deletePipeline(
  ctx: RequestContext,
  input: { id: string; moveDealsToPipelineId?: string | null; moveDealsToStageId?: string | null },
): Promise<{ id: string; moved: number }> {
  const pipeline = await pipelineOrReject(ctx, input.id, 'id');
  const held = await dealCount(ctx, 'pipeline_id', pipeline.id);
  let moved = 0;
  if (held > 0) {
    const target = await targetStage(ctx, input.moveDealsToPipelineId, input.moveDealsToStageId);
    if (!target) {
      throw InputRejected.one(
        'moveDealsToStageId',
        `the pipeline holds ${held} deal(s): give a stage of another pipeline to move them to`,
        ErrorCode.CONFLICT,
      );
    }
    if (target.pipelineId === pipeline.id)
      throw InputRejected.one('moveDealsToStageId', 'the target stage must belong to another pipeline');
    moved = await moveDealsInBulk(ctx, sql`d.pipeline_id = ${pipeline.id}`, target, ctx.principal.userId);
  }
  pipeline.deletedAt = new Date();
  if (pipeline.isDefault) {
    pipeline.isDefault = false;
    const next = await ctx.em.findOne(
      Pipeline,
      { deletedAt: null, id: { $ne: pipeline.id } },
      { orderBy: { position: 'asc', createdAt: 'asc' } },
    );
    if (next) next.isDefault = true;
  }
  await ctx.em.flush();
  return { id: pipeline.id, moved };
}

/** The stage deals move to: the given stage (checked against the given pipeline), else the pipeline's first open stage. */
async function targetStage(
  ctx: RequestContext,
  pipelineGlobalId?: string | null,
  stageGlobalId?: string | null,
): Promise<PipelineStage | null> {
  const pipeline = pipelineGlobalId ? await pipelineOrReject(ctx, pipelineGlobalId, 'moveDealsToPipelineId') : null;
  if (stageGlobalId) {
    const stage = await stageOrReject(ctx, stageGlobalId, 'moveDealsToStageId');
    if (pipeline && stage.pipelineId !== pipeline.id)
      throw InputRejected.one('moveDealsToStageId', 'the stage does not belong to moveDealsToPipelineId');
    return stage;
  }
  if (!pipeline) return null;
  return ctx.em.findOne(PipelineStage, { pipelineId: pipeline.id, kind: StageKind.OPEN }, { orderBy: { position: 'asc' } });
}

async function touch(ctx: RequestContext, pipelineId: string): Promise<Pipeline> {
  const pipeline = await ctx.em.findOneOrFail(Pipeline, { id: pipelineId });
  pipeline.updatedAt = new Date();
  return pipeline;
}

/** Renumbers a pipeline's stages 0..n-1 in the given order. */
function renumber(stages: PipelineStage[]): void {
  for (const [i, s] of stages.entries()) s.position = i;
}

export async function addPipelineStage(ctx: RequestContext, input: unknown): Promise<{ stage: PipelineStage; pipeline: Pipeline }> {
  const data = parseInput(addStageSchema, input);
  const pipeline = await pipelineOrReject(ctx, data.pipelineId, 'pipelineId');
  const stages = await stagesOf(ctx, pipeline.id);
  if (stages.length >= MAX_STAGES) throw InputRejected.one('pipelineId', `a pipeline has at most ${MAX_STAGES} stages`);
  if (stages.some((s) => s.name.toLowerCase() === data.name.toLowerCase())) {
    throw InputRejected.one('name', `the pipeline already has a stage named "${data.name}"`, ErrorCode.CONFLICT);
  }
  const stage = ctx.em.create(PipelineStage, {
    workspaceId: workspaceOf(ctx),
    pipelineId: pipeline.id,
    name: data.name,
    position: 0,
    probability: data.probability,
    kind: data.kind,
    rottingDays: data.rottingDays ?? null,
  } as PipelineStage);
  const at = Math.min(data.position ?? stages.length, stages.length);
  stages.splice(at, 0, stage);
  renumber(stages);
  await ctx.em.flush();
  return { stage, pipeline: await touch(ctx, pipeline.id) };
}

export async function updatePipelineStage(ctx: RequestContext, input: unknown): Promise<{ stage: PipelineStage; pipeline: Pipeline }> {
  const data = parseInput(updateStageSchema, input);
  const stage = await stageOrReject(ctx, data.id, 'id');
  const stages = await stagesOf(ctx, stage.pipelineId);
  if (data.name != null && data.name.toLowerCase() !== stage.name.toLowerCase()) {
    if (stages.some((s) => s.id !== stage.id && s.name.toLowerCase() === data.name!.toLowerCase())) {
      throw InputRejected.one('name', `the pipeline already has a stage named "${data.name}"`, ErrorCode.CONFLICT);
    }
  }
  if (data.name != null) stage.name = data.name;
  if (data.probability != null) stage.probability = data.probability;
  if (data.rottingDays !== undefined) stage.rottingDays = data.rottingDays;
  if (data.kind != null && data.kind !== stage.kind) {
    // a deal's status follows its stage's kind: a stage holding deals keeps its kind
    const held = await dealCount(ctx, 'stage_id', stage.id);
    if (held > 0)
      throw InputRejected.one('kind', `the stage holds ${held} deal(s): move them first to change its kind`, ErrorCode.CONFLICT);
    stage.kind = data.kind;
    requireEveryKind(
      stages.map((s) => (s.id === stage.id ? data.kind! : s.kind)),
      'kind',
    );
  }
  stage.updatedAt = new Date();
  await ctx.em.flush();
  return { stage, pipeline: await touch(ctx, stage.pipelineId) };
}

export async function reorderPipelineStages(ctx: RequestContext, input: { pipelineId: string; stageIds: string[] }): Promise<Pipeline> {
  const pipeline = await pipelineOrReject(ctx, input.pipelineId, 'pipelineId');
  const stages = await stagesOf(ctx, pipeline.id);
  const ids = input.stageIds.map((g, i) => expectGlobalId(g, PIPELINE_STAGE, `stageIds.${i}`));
  const byId = new Map(stages.map((s) => [s.id, s]));
  const unique = new Set(ids);
  if (ids.length !== stages.length || unique.size !== ids.length || ids.some((id) => !byId.has(id))) {
    throw InputRejected.one('stageIds', `must list each of the pipeline's ${stages.length} stages exactly once`);
  }
  renumber(ids.map((id) => byId.get(id)!));
  pipeline.updatedAt = new Date();
  await ctx.em.flush();
  return pipeline;
}

/** Deletes a stage; its deals (trashed ones too) first move to a stage of the same pipeline, with stage history. */
export async function deletePipelineStage(
  ctx: RequestContext,
  input: { id: string; moveDealsToStageId?: string | null },
): Promise<{ pipeline: Pipeline; moved: number }> {
  const stage = await stageOrReject(ctx, input.id, 'id');
  const stages = await stagesOf(ctx, stage.pipelineId);
  requireEveryKind(
    stages.filter((s) => s.id !== stage.id).map((s) => s.kind),
    'id',
  );
  const held = await dealCount(ctx, 'stage_id', stage.id);
  let moved = 0;
  if (held > 0) {
    if (!input.moveDealsToStageId) {
      throw InputRejected.one(
        'moveDealsToStageId',
        `the stage holds ${held} deal(s): give a stage of the same pipeline to move them to`,
        ErrorCode.CONFLICT,
      );
    }
    const target = await stageOrReject(ctx, input.moveDealsToStageId, 'moveDealsToStageId');
    if (target.pipelineId !== stage.pipelineId)
      throw InputRejected.one('moveDealsToStageId', 'the target stage must belong to the same pipeline');
    if (target.id === stage.id) throw InputRejected.one('moveDealsToStageId', 'the target stage is the stage being deleted');
    moved = await moveDealsInBulk(ctx, sql`d.stage_id = ${stage.id}`, target, ctx.principal.userId);
  }
  ctx.em.remove(stage);
  renumber(stages.filter((s) => s.id !== stage.id));
  await ctx.em.flush();
  return { pipeline: await touch(ctx, stage.pipelineId), moved };
}
