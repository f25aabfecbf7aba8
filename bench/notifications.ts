/**
 * Notification fan-out (`npm run bench -- --only notifications`, or as part of the full run): one `notify` call for
 * 500 members of a workspace — each member's preference per channel looked up, one multi-row INSERT … SELECT, the
 * `notification.created` event — timed inside a workspace transaction rolled back every iteration, beside a floor
 * measured the same way: a hand-written INSERT … SELECT of the same 500 rows from `membership`, without preferences
 * or event. A fifth of the members have preference rows (email on for the type), as in a workspace people use.
 *
 * Called from bench/run.ts; opens its own database handle on the (already migrated) bench database.
 */
import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { openAppDatabase } from '../src/app/database.js';
import { notify } from '../src/core/notifications/notifications.service.js';
import { withWorkspace } from '../src/db/rls/tenant-context.js';
import { log, measure, ms, type Stats } from './lib.js';

export interface FanOutResult {
  recipients: number;
  notify: Stats;
  floor: Stats;
  /** notify p50 / floor p50. */
  ratio: number;
}

class Rollback extends Error {}

/** Runs `work` in the workspace's transaction and rolls it back (nothing accumulates between iterations). */
async function rolledBack(orm: Parameters<typeof withWorkspace>[0], workspaceId: string, work: (em: SqlEntityManager) => Promise<unknown>) {
  try {
    await withWorkspace(orm, workspaceId, (em) =>
      em.transactional(async (tx) => {
        await work(tx as SqlEntityManager);
        throw new Rollback();
      }),
    );
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
}

export async function runNotificationFanOut(
  url: string,
  { iterations, warmup, recipients = 500 }: { iterations: number; warmup: number; recipients?: number },
): Promise<FanOutResult> {
  const database = await openAppDatabase({ url, poolMax: 4 });
  const owner = database.owner.em.getConnection();
  const workspaceId = randomUUID();
  await owner.execute(`insert into workspace (id, name, slug, created_at, updated_at) values (?, 'Fan-out bench', ?, now(), now())`, [
    workspaceId,
    `fanout-${workspaceId.slice(0, 8)}`,
  ]);
  const userIds = Array.from({ length: recipients }, () => randomUUID());
  // a PostgreSQL array literal: the driver would expand a JS array into a list of parameters
  const pgArray = (ids: string[]) => `{${ids.join(',')}}`;
  await owner.execute(
    `insert into app_user (id, email, name, created_at, updated_at)
     select id, 'fanout-' || id || '@bench.test', 'Member ' || n, now(), now() from unnest(cast(? as uuid[])) with ordinality as u(id, n)`,
    [pgArray(userIds)],
  );
  await owner.execute(
    `insert into membership (id, workspace_id, user_id, role, created_at, updated_at)
     select gen_random_uuid(), ?, id, 'SALES', now(), now() from unnest(cast(? as uuid[])) as u(id)`,
    [workspaceId, pgArray(userIds)],
  );
  await owner.execute(
    `insert into notification_preference (id, workspace_id, user_id, type, channel, enabled, created_at, updated_at)
     select gen_random_uuid(), ?, id, 'automation.notify', 'email', true, now(), now() from unnest(cast(? as uuid[])) as u(id)`,
    [workspaceId, pgArray(userIds.filter((_, i) => i % 5 === 0))],
  );
  log(`case: notification fan-out to ${recipients} members (${iterations} iterations)`);
  const orm = database.orm;
  const input = { workspaceId, userIds, type: 'automation.notify', title: 'Quarterly review is due', body: 'See the dashboard.' };
  let inserted = 0;
  const notifyStats = await measure(
    () =>
      rolledBack(orm, workspaceId, async (em) => {
        inserted = await notify(em, input);
      }),
    { warmup, iterations },
  );
  if (inserted !== recipients) throw new Error(`notify inserted ${inserted} notifications, not ${recipients}`);
  const floor = await measure(
    () =>
      rolledBack(orm, workspaceId, (em) =>
        em.execute(
          `insert into notification (id, workspace_id, user_id, type, title, body, data, in_app, email, digest, created_at)
           select gen_random_uuid(), m.workspace_id, m.user_id, 'automation.notify', ?, ?, '{}', true, false, false, clock_timestamp()
           from membership m where m.workspace_id = ? and m.user_id = any(cast(? as uuid[])) returning id, user_id`,
          [input.title, input.body, workspaceId, pgArray(userIds)],
        ),
      ),
    { warmup, iterations },
  );
  await owner.execute(`delete from workspace where id = ?`, [workspaceId]);
  await owner.execute(`delete from app_user where id = any(cast(? as uuid[]))`, [pgArray(userIds)]);
  await database.close();
  const result = { recipients, notify: notifyStats, floor, ratio: notifyStats.p50 / floor.p50 };
  log(`  notify: p50 ${ms(notifyStats.p50)}, p95 ${ms(notifyStats.p95)}; floor p50 ${ms(floor.p50)} (${result.ratio.toFixed(2)}×)`);
  return result;
}

/** The case as a markdown table row block. */
export function renderFanOut(result: FanOutResult | { error: string }): string {
  if ('error' in result) return `Notification fan-out: failed (${result.error})`;
  return [
    `### Notification fan-out (one \`notify\` to ${result.recipients} members)`,
    '',
    '| case | p50 | p95 | p99 | floor p50 (hand-written INSERT … SELECT) | ratio (p50) |',
    '|---|---|---|---|---|---|',
    `| notify, preferences looked up, event emitted | ${ms(result.notify.p50)} | ${ms(result.notify.p95)} | ${ms(result.notify.p99)} | ${ms(result.floor.p50)} | ${result.ratio.toFixed(2)}× |`,
  ].join('\n');
}
