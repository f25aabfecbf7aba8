import type { SqlEntityManager } from '@mikro-orm/sql';
import { annotateAudit } from '../../db/audit-context.js';

const TAGS: Record<string, [string, string]> = { Contact: ['contact_tag', 'contact_id'], Company: ['company_tag', 'company_id'] };

/**
 * Names a merge in the audit log before its writes: the target's entry becomes `<type>.merged` with the source ids
 * and what moved (timeline links, tags, and for companies the contacts re-pointed by SQL), each source's entry
 * `<type>.merged` with the target's id. Call it after the field values are merged and before the rows move.
 */
export async function annotateMerge(
  em: SqlEntityManager,
  objectType: 'Contact' | 'Company',
  workspaceId: string,
  target: object & { id: string },
  sources: (object & { id: string })[],
): Promise<void> {
  const sourceIds = sources.map((s) => s.id);
  const ids = `{${sourceIds.join(',')}}`;
  const [table, column] = TAGS[objectType]!;
  const contacts =
    objectType === 'Company'
      ? `(select coalesce(array_agg(id::text order by id), '{}') from contact where workspace_id = ? and company_id = any(cast(? as uuid[])))`
      : `cast('{}' as text[])`;
  const params: unknown[] = [workspaceId, objectType, ids, ids];
  if (objectType === 'Company') params.push(workspaceId, ids);
  const [row] = await em.execute<{ links: number; tags: number; contacts: string[] | string }[]>(
    `select (select count(*)::int from timeline_link where workspace_id = ? and target_type = ? and target_id = any(cast(? as uuid[]))) as links,
            (select count(*)::int from ${table} where ${column} = any(cast(? as uuid[]))) as tags,
            ${contacts} as contacts`,
    params,
  );
  const contactIds =
    typeof row?.contacts === 'string' ? row.contacts.replace(/[{}]/g, '').split(',').filter(Boolean) : (row?.contacts ?? []);
  const prefix = objectType === 'Contact' ? 'contact' : 'company';
  const moved: Record<string, unknown> = { timelineLinks: Number(row?.links ?? 0), tagLinks: Number(row?.tags ?? 0) };
  if (objectType === 'Company') moved.contacts = contactIds;
  annotateAudit(target, { action: `${prefix}.merged`, metadata: { role: 'target', sourceIds, moved } });
  for (const source of sources) annotateAudit(source, { action: `${prefix}.merged`, metadata: { role: 'source', targetId: target.id } });
}
