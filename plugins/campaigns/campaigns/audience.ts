import { sql, type Sql } from '../../../src/sdk/index.js';

/**
 * The audience of a campaign: the contacts that are members of its live segments (campaign_segment_member), each once.
 * `segmentIds` raw uuids.
 */
export function audienceSql(workspaceId: string, segmentIds: readonly string[]): Sql {
  return sql`select distinct m.contact_id from campaign_segment_member m
    join campaign_segment s on s.id = m.segment_id and s.workspace_id = m.workspace_id and s.deleted_at is null
    where m.workspace_id = ${workspaceId} and m.segment_id in (select cast(jsonb_array_elements_text(cast(${JSON.stringify(segmentIds)} as jsonb)) as uuid))`;
}
