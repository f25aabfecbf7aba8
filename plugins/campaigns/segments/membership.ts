import { emitEvents, Sql, sql, type RequestContext } from '../../../src/sdk/index.js';
import type { CampaignSegment, MemberSource } from './entities.js';
import { segmentEntered, segmentExited } from './events.js';

/** Rows per statement: well under PostgreSQL's parameter limit. */
const CHUNK = 2000;

type Em = RequestContext['em'];

type SegmentRef = Pick<CampaignSegment, 'id' | 'name' | 'workspaceId'>;

const values = (ids: readonly string[]) =>
  Sql.join(
    ids.map((id) => sql`${id}`),
    ', ',
  );

/**
 * Adds and removes members of a segment in the caller's transaction: contacts already in (or already out) are left
 * alone, the segment's count follows, and each contact that actually entered or left emits `segment.entered` /
 * `segment.exited` (committed with the change). Returns who changed.
 */
export async function changeMembers(
  em: Em,
  segment: SegmentRef,
  change: { add?: readonly string[]; remove?: readonly string[]; source: MemberSource },
  now = new Date(),
): Promise<{ added: string[]; removed: string[] }> {
  const added: string[] = [];
  const removed: string[] = [];
  const add = [...new Set(change.add ?? [])];
  const remove = [...new Set(change.remove ?? [])];
  for (let at = 0; at < add.length; at += CHUNK) {
    const rows = add
      .slice(at, at + CHUNK)
      .map((contactId) => sql`(${segment.id}, ${contactId}, ${segment.workspaceId}, ${change.source}, ${now.toISOString()})`);
    const q = sql`insert into campaign_segment_member (segment_id, contact_id, workspace_id, source, added_at)
      values ${Sql.join(rows, ', ')} on conflict (segment_id, contact_id) do nothing returning contact_id`;
    added.push(...(await em.execute<{ contact_id: string }[]>(q.text, q.params)).map((r) => r.contact_id));
  }
  for (let at = 0; at < remove.length; at += CHUNK) {
    const q = sql`delete from campaign_segment_member
      where workspace_id = ${segment.workspaceId} and segment_id = ${segment.id} and contact_id in (${values(remove.slice(at, at + CHUNK))})
      returning contact_id`;
    removed.push(...(await em.execute<{ contact_id: string }[]>(q.text, q.params)).map((r) => r.contact_id));
  }
  if (added.length || removed.length) {
    const q = sql`update campaign_segment set member_count = member_count + ${added.length - removed.length}
      where workspace_id = ${segment.workspaceId} and id = ${segment.id}`;
    await em.execute(q.text, q.params);
    const payload = (contactId: string) => ({ segmentId: segment.id, segmentName: segment.name, contactId, source: change.source });
    const options = { workspaceId: segment.workspaceId };
    await emitEvents(em, segmentEntered, added.map(payload), options);
    await emitEvents(em, segmentExited, removed.map(payload), options);
  }
  return { added, removed };
}

/** The ids of a segment's members (all of them, in id order, `limit` at a time after `after`). */
export async function memberIds(em: Em, segment: SegmentRef, after: string | null, limit: number): Promise<string[]> {
  const q = sql`select contact_id from campaign_segment_member
    where workspace_id = ${segment.workspaceId} and segment_id = ${segment.id} ${after ? sql`and contact_id > ${after}` : sql``}
    order by contact_id limit ${limit}`;
  return (await em.execute<{ contact_id: string }[]>(q.text, q.params)).map((r) => r.contact_id);
}
