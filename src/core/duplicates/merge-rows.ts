import type { SqlEntityManager } from '@mikro-orm/sql';
import { Sql, sql } from '../../db/sql.js';

/** Extra row movers (e.g. a plugin's deals pointing at companies), run inside the merge transaction. */
export type RowMover = (em: SqlEntityManager, workspaceId: string, targetId: string, sourceIds: string[]) => Promise<void>;
const extraMovers: Record<string, RowMover[]> = {};

export function registerMergeRowMover(objectType: string, mover: RowMover): void {
  extraMovers[objectType] ??= [];
  extraMovers[objectType].push(mover);
}

const idList = (ids: string[]) =>
  Sql.join(
    ids.map((id) => sql`${id}`),
    ', ',
  );

async function run(em: SqlEntityManager, statement: Sql): Promise<void> {
  await em.execute(statement.text, statement.params);
}

/** Re-points timeline links from the sources to the target, dropping links the target already has. */
export async function moveTimelineLinks(
  em: SqlEntityManager,
  workspaceId: string,
  targetType: string,
  targetId: string,
  sourceIds: string[],
): Promise<void> {
  const sources = idList(sourceIds);
  // (entry_id, target_type, target_id) is unique: first drop source links to entries the target (or an earlier source) already has
  await run(
    em,
    sql`delete from timeline_link s where s.workspace_id = ${workspaceId} and s.target_type = ${targetType} and s.target_id in (${sources})
    and exists (select 1 from timeline_link t where t.workspace_id = ${workspaceId} and t.target_type = ${targetType} and t.entry_id = s.entry_id
      and (t.target_id = ${targetId} or (t.target_id in (${sources}) and t.id < s.id)))`,
  );
  await run(
    em,
    sql`update timeline_link set target_id = ${targetId}, updated_at = now()
    where workspace_id = ${workspaceId} and target_type = ${targetType} and target_id in (${sources})`,
  );
}

async function moveTags(em: SqlEntityManager, table: string, column: string, targetId: string, sourceIds: string[]): Promise<void> {
  const sources = idList(sourceIds);
  const t = new Sql(table);
  const c = new Sql(column);
  await run(
    em,
    sql`insert into ${t} (${c}, tag_id) select distinct ${targetId}::uuid, tag_id from ${t} where ${c} in (${sources}) on conflict do nothing`,
  );
  await run(em, sql`delete from ${t} where ${c} in (${sources})`);
}

/**
 * Moves everything that hangs off merged contacts to the surviving one: timeline links and tags. Field values
 * are merged on the entities by the caller; this is only the row-moving part (shared with import upserts).
 */
export async function moveContactRows(em: SqlEntityManager, workspaceId: string, targetId: string, sourceIds: string[]): Promise<void> {
  if (!sourceIds.length) return;
  await moveTimelineLinks(em, workspaceId, 'Contact', targetId, sourceIds);
  await moveTags(em, 'contact_tag', 'contact_id', targetId, sourceIds);
  for (const mover of extraMovers.Contact ?? []) await mover(em, workspaceId, targetId, sourceIds);
}

/** Moves everything that hangs off merged companies to the surviving one: timeline links, tags and contacts. */
export async function moveCompanyRows(em: SqlEntityManager, workspaceId: string, targetId: string, sourceIds: string[]): Promise<void> {
  if (!sourceIds.length) return;
  await moveTimelineLinks(em, workspaceId, 'Company', targetId, sourceIds);
  await moveTags(em, 'company_tag', 'company_id', targetId, sourceIds);
  // the contacts changed, so their version moves on (a pending edit of one of them becomes a CONFLICT)
  await run(
    em,
    sql`update contact set company_id = ${targetId}, version = version + 1, updated_at = now()
    where workspace_id = ${workspaceId} and company_id in (${idList(sourceIds)})`,
  );
  for (const mover of extraMovers.Company ?? []) await mover(em, workspaceId, targetId, sourceIds);
}
