import {
  InputRejected,
  actAs,
  emitEvent,
  logActivity,
  memberIds,
  notify,
  sql,
  toGlobalId,
  type NotificationTypeDeclaration,
  type PluginContext,
  type PluginJob,
} from '../../../src/sdk/index.js';
import { dealRotting } from '../events.js';
import type { PipelineSettings } from './settings.js';

/** The deal owner's notification of a rotting deal (besides the reminder task); in-app by default. */
export const dealRottingNotification: NotificationTypeDeclaration = {
  key: 'deal.rotting',
  label: 'A deal of mine is rotting in its stage',
};

/** Deals reminded per run; the rest wait for the next run (keeps one run's transaction short). */
export const ROTTING_BATCH = 200;

/** When the rotting job runs in each workspace: PIPELINE_ROTTING_CRON (default every five minutes). */
export function rottingCron(env: NodeJS.ProcessEnv = process.env): string {
  return env.PIPELINE_ROTTING_CRON?.trim() || '*/5 * * * *';
}

interface RottenDeal {
  deal_id: string;
  stage_id: string;
  name: string;
  stage_name: string;
  owner_id: string | null;
  days: number;
}

/**
 * Claims the open deals that stayed longer than their stage's `rotting_days` in it (`now() - stage_entered_at`) and
 * have no reminder for this stay yet: one `deal_rotting_reminder` row per (deal, stage, stage_entered_at), inserted
 * `on conflict do nothing` — a concurrent run of another process blocks on the same key and gets nothing back, so
 * each stay is claimed exactly once. A deal that moves on and rots again has a new stay, hence a new reminder.
 */
function claimRottenSql(workspaceId: string): ReturnType<typeof sql> {
  return sql`with rotten as (
      select d.id as deal_id, d.stage_id, d.stage_entered_at, d.name, s.name as stage_name, d.owner_id,
        floor(extract(epoch from now() - d.stage_entered_at) / 86400)::int as days
      from deal d join pipeline_stage s on s.id = d.stage_id
      where d.workspace_id = ${workspaceId} and d.deleted_at is null and d.status = 'open' and s.rotting_days is not null
        and d.stage_entered_at < now() - make_interval(days => s.rotting_days)
        and not exists (select 1 from deal_rotting_reminder r where r.deal_id = d.id and r.stage_id = d.stage_id and r.stage_entered_at = d.stage_entered_at)
      order by d.stage_entered_at, d.id
      limit ${ROTTING_BATCH}
    ), claimed as (
      insert into deal_rotting_reminder (workspace_id, deal_id, stage_id, stage_entered_at, created_at)
      select ${workspaceId}, deal_id, stage_id, stage_entered_at, now() from rotten
      on conflict do nothing
      returning deal_id, stage_id, stage_entered_at
    )
    select r.deal_id, r.stage_id, r.name, r.stage_name, r.owner_id, r.days
    from rotten r join claimed c on c.deal_id = r.deal_id and c.stage_id = r.stage_id and c.stage_entered_at = r.stage_entered_at
    order by r.days desc, r.deal_id`;
}

/**
 * One run in a workspace (the job's transaction): claims the rotten stays, then for each a reminder task for the
 * deal owner on the deal (logged as the system; unassigned when the owner is no longer a member), a
 * `deal.rotting` event `{ id, stageId, days }` (whole days in the stage) and a `deal.rotting` notification of the
 * owner (the SDK's `notify`). Everything commits together; an unexpected
 * failure rolls the claims back, so the next run tries again.
 */
export async function remindRottingDeals(context: PluginContext<PipelineSettings>): Promise<number> {
  const { workspaceId, em } = context;
  if (!workspaceId || !context.settings.rottingReminders) return 0;
  const claim = claimRottenSql(workspaceId);
  const rotten = await em.execute<RottenDeal[]>(claim.text, claim.params);
  if (!rotten.length) return 0;
  // owners who left the workspace get no task (the kernel's membership check)
  const members = await memberIds(em, workspaceId, [...new Set(rotten.flatMap((d) => (d.owner_id ? [d.owner_id] : [])))]);
  await actAs(context, null, async (ctx) => {
    for (const deal of rotten) {
      const days = Number(deal.days);
      let task: Awaited<ReturnType<typeof logActivity>>;
      try {
        task = await logActivity(ctx, {
          type: 'TASK',
          subject: `Deal "${deal.name}" has been in ${deal.stage_name} for ${days} days`.slice(0, 500),
          dueAt: new Date(),
          assigneeId: deal.owner_id && members.has(deal.owner_id) ? toGlobalId('User', deal.owner_id) : null,
          priority: 'HIGH',
          targetIds: [toGlobalId('Deal', deal.deal_id)],
        });
      } catch (error) {
        // refused by the kernel (e.g. the deal was deleted meanwhile): permanent, so the stay keeps its claim without a
        // task rather than blocking every other reminder of the workspace run after run
        if (error instanceof InputRejected) continue;
        throw error;
      }
      const link = sql`update deal_rotting_reminder set task_id = ${task.id}
        where workspace_id = ${workspaceId} and deal_id = ${deal.deal_id} and stage_id = ${deal.stage_id} and task_id is null`;
      await ctx.em.execute(link.text, link.params);
      await emitEvent(ctx.em, dealRotting, { id: deal.deal_id, stageId: deal.stage_id, days }, { workspaceId });
      if (deal.owner_id && members.has(deal.owner_id))
        await notify(ctx.em, {
          workspaceId,
          userIds: [deal.owner_id],
          type: dealRottingNotification.key,
          title: `Deal "${deal.name}" has been in ${deal.stage_name} for ${days} days`,
          record: { type: 'Deal', id: deal.deal_id },
          data: { stageId: deal.stage_id, days, taskId: task.id },
          // one per stay in the stage, like the reminder task
          sourceEventId: `deal:${deal.deal_id}:rotting:${task.id}`,
        });
    }
  });
  return rotten.length;
}

export const rottingJob: PluginJob<PipelineSettings> = {
  name: 'rotting-reminders',
  cron: rottingCron(),
  async run(context) {
    await remindRottingDeals(context);
  },
};
