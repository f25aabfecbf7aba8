import { emitEvent, Sql, sql, type RequestContext } from '../../../src/sdk/index.js';
import { DealStatus, StageKind, type Deal, type DealStageHistory, type PipelineStage } from '../entities.js';
import { DealStageHistory as History } from '../entities.js';
import { dealStageChanged } from '../events.js';

type Em = RequestContext['em'];

/** The status a deal has in a stage of this kind. */
export const statusOf = (kind: StageKind): DealStatus =>
  kind === StageKind.WON ? DealStatus.WON : kind === StageKind.LOST ? DealStatus.LOST : DealStatus.OPEN;

/**
 * Puts a loaded (managed) deal into a stage: closes its current stay, opens a new one, and keeps status, closed_at
 * and stage_entered_at in step with the stage's kind. Flushed by the caller.
 */
export async function enterStage(
  em: Em,
  deal: Deal,
  stage: PipelineStage,
  actorId: string | null,
  now = new Date(),
): Promise<DealStageHistory> {
  const close = sql`update deal_stage_history set left_at = ${now}, left_by_id = ${actorId}, updated_at = ${now}
    where workspace_id = ${deal.workspaceId} and deal_id = ${deal.id} and left_at is null`;
  await em.execute(close.text, close.params);
  const stay = openStay(em, deal, stage, actorId, now);
  const status = statusOf(stage.kind);
  deal.pipelineId = stage.pipelineId;
  deal.stageId = stage.id;
  deal.stageEnteredAt = now;
  if (status !== deal.status) deal.closedAt = status === DealStatus.OPEN ? null : now;
  if (status !== DealStatus.LOST) deal.lostReason = null;
  deal.status = status;
  return stay;
}

/** A new stay of a deal in a stage (persisted on the next flush). */
export function openStay(
  em: Em,
  deal: Pick<Deal, 'id' | 'workspaceId'>,
  stage: PipelineStage,
  actorId: string | null,
  now: Date,
): DealStageHistory {
  return em.create(History, {
    workspaceId: deal.workspaceId,
    dealId: deal.id,
    pipelineId: stage.pipelineId,
    stageId: stage.id,
    enteredAt: now,
    leftAt: null,
    enteredById: actorId,
    leftById: null,
  } as History);
}

/**
 * Moves every deal (trashed ones too) matching `where` (over alias `d`) to a stage in three statements: their stays
 * are closed and new ones opened, status and closed_at follow the target's kind. Emits `deal.stageChanged` per deal.
 * Returns how many deals moved.
 */
export async function moveDealsInBulk(ctx: RequestContext, where: Sql, target: PipelineStage, actorId: string | null): Promise<number> {
  const em = ctx.em;
  const workspaceId = ctx.principal.workspaceId!;
  const now = new Date();
  const select = sql`select d.id, d.pipeline_id, d.stage_id, d.owner_id from deal d where d.workspace_id = ${workspaceId} and ${where} and d.stage_id <> ${target.id}`;
  const deals = await em.execute<{ id: string; pipeline_id: string; stage_id: string; owner_id: string | null }[]>(
    select.text,
    select.params,
  );
  if (!deals.length) return 0;
  const ids = Sql.join(
    deals.map((d) => sql`${d.id}`),
    ', ',
  );
  const close = sql`update deal_stage_history set left_at = ${now}, left_by_id = ${actorId}, updated_at = ${now}
    where workspace_id = ${workspaceId} and left_at is null and deal_id in (${ids})`;
  await em.execute(close.text, close.params);
  const open = sql`insert into deal_stage_history (id, workspace_id, created_at, updated_at, deal_id, pipeline_id, stage_id, entered_at, left_at, entered_by_id, left_by_id)
    select gen_random_uuid(), ${workspaceId}, ${now}, ${now}, d.id, ${target.pipelineId}, ${target.id}, ${now}, null, ${actorId}, null
    from deal d where d.workspace_id = ${workspaceId} and d.id in (${ids})`;
  await em.execute(open.text, open.params);
  const status = statusOf(target.kind);
  const update = sql`update deal set pipeline_id = ${target.pipelineId}, stage_id = ${target.id}, stage_entered_at = ${now},
    closed_at = case when ${status} = 'open' then null when status = ${status} then closed_at else ${now}::timestamptz end,
    lost_reason = case when ${status} = 'lost' then lost_reason else null end,
    status = ${status}, version = version + 1, updated_at = ${now}
    where workspace_id = ${workspaceId} and id in (${ids})`;
  await em.execute(update.text, update.params);
  for (const d of deals) {
    await emitEvent(
      em,
      dealStageChanged,
      { id: d.id, pipelineId: target.pipelineId, fromStageId: d.stage_id, toStageId: target.id, ownerId: d.owner_id },
      { workspaceId },
    );
  }
  return deals.length;
}
