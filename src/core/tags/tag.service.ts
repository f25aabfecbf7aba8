import { readRow } from '../../db/read-rows.js';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { z } from 'zod';
import { Tag } from './tag.entity.js';
import { Sql, sql, raw } from '../../db/sql.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { parseInput, trimmed } from '../shared/validation.js';
import { workspaceOf, type RequestContext } from '../../graphql/context.js';
import { groupBy, takeColumn } from '../../db/group-by.js';
import { AppSlot, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { ContributionRegistry, KERNEL_OWNER } from '../../registries/contribution-registry.js';

export const tagInput = z.object({
  name: trimmed(80).pipe(z.string().min(1, { message: 'must not be empty' })),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, { message: 'must be a hex colour such as #3366ff' })
    .nullish(),
});

/**
 * The table linking a record type to its tags: `(column, tag_id)` rows, plus `workspace_id` when `workspaceColumn`
 * (every plugin's tag table has one: row-level security needs it).
 */
export interface TagPivot {
  table: string;
  column: string;
  workspaceColumn: boolean;
}

/** The kernel's taggable record types; each app adds its plugins' (record types declaring `tags`). */
export const kernelTaggableTypes = new ContributionRegistry<TagPivot>('taggable type');
kernelTaggableTypes.add(KERNEL_OWNER, 'Company', { table: 'company_tag', column: 'company_id', workspaceColumn: false });
kernelTaggableTypes.add(KERNEL_OWNER, 'Contact', { table: 'contact_tag', column: 'contact_id', workspaceColumn: false });

export const TAGGABLE_TYPES_SLOT = new AppSlot<ContributionRegistry<TagPivot>>('taggable types');

/** The taggable types of the app owning `em`. */
export function taggableTypesOf(em: AppScoped): ContributionRegistry<TagPivot> {
  return lookupInApp(em, TAGGABLE_TYPES_SLOT) ?? kernelTaggableTypes;
}

/** GraphQL type name of a taggable record type (`Company`, `Deal`). */
export type Taggable = string;

function pivotOf(em: AppScoped, type: Taggable): TagPivot {
  const pivot = taggableTypesOf(em).get(type);
  if (!pivot) throw new Error(`${type} is not a taggable record type (declare \`tags\` on its record type)`);
  return pivot;
}

export async function createTag(em: SqlEntityManager, workspaceId: string, input: unknown): Promise<Tag> {
  const data = parseInput(tagInput, input);
  const existing = await em.findOne(Tag, { normalizedName: data.name.toLowerCase() });
  if (existing) throw InputRejected.one('name', `a tag named "${existing.name}" already exists`, ErrorCode.CONFLICT);
  const tag = em.create(Tag, { workspaceId, name: data.name, normalizedName: data.name.toLowerCase(), color: data.color ?? null });
  await em.flush();
  return tag;
}

/** Resolves tag ids (global) to ids of tags in the workspace; rejects unknown or foreign ones naming the field. */
export async function resolveTagIds(em: SqlEntityManager, globalIds: string[], field: string): Promise<string[]> {
  const ids = [...new Set(globalIds.map((g, i) => expectGlobalId(g, 'Tag', `${field}.${i}`)))];
  if (ids.length === 0) return [];
  const found = await em.find(Tag, { id: { $in: ids } }, { fields: ['id'] });
  const known = new Set(found.map((t) => t.id));
  const missing = globalIds.findIndex((g, i) => !known.has(expectGlobalId(g, 'Tag', `${field}.${i}`)));
  if (missing >= 0) throw InputRejected.one(`${field}.${missing}`, 'tag not found', ErrorCode.NOT_FOUND);
  return ids;
}

/** Replaces the tags of one record (tag ids as `resolveTagIds` returns them). */
export async function setTags(
  em: SqlEntityManager,
  workspaceId: string,
  type: Taggable,
  recordId: string,
  tagIds: string[],
): Promise<void> {
  const pivot = pivotOf(em, type);
  await em.execute(`delete from ${pivot.table} where ${pivot.column} = ?`, [recordId]);
  if (tagIds.length) {
    const values = Sql.join(
      tagIds.map((t) => (pivot.workspaceColumn ? sql`(${workspaceId}, ${recordId}, ${t})` : sql`(${recordId}, ${t})`)),
      ', ',
    );
    const columns = pivot.workspaceColumn ? sql`workspace_id, ${raw(pivot.column)}, tag_id` : sql`${raw(pivot.column)}, tag_id`;
    const insert = sql`insert into ${raw(pivot.table)} (${columns}) values ${values} on conflict do nothing`;
    await em.execute(insert.text, insert.params);
  }
}

/** Tags of many records of one type, by record id, in one query. */
export async function tagsOf(
  em: SqlEntityManager,
  workspaceId: string,
  type: Taggable,
  recordIds: readonly string[],
): Promise<Map<string, Tag[]>> {
  if (recordIds.length === 0) return new Map();
  const pivot = pivotOf(em, type);
  const q = sql`select p.${raw(pivot.column)} as record_id, t.* from ${raw(pivot.table)} p join tag t on t.id = p.tag_id where p.${raw(pivot.column)} in (${Sql.join(
    recordIds.map((i) => sql`${i}`),
    ', ',
  )}) and t.workspace_id = ${workspaceId} order by t.name`;
  const rows = await em.execute<Record<string, unknown>[]>(q.text, q.params);
  return groupBy(
    rows,
    (row) => takeColumn(row, 'record_id'),
    (row) => readRow(em, Tag, row),
  );
}

/** Loads tags of many records of one type in one query. */
export function tagsLoader(ctx: RequestContext, type: Taggable) {
  return ctx.loaders.get<string, Tag[]>(`tags.of.${type}`, async (ids, c) => {
    const byRecord = await tagsOf(c.em, workspaceOf(c), type, ids);
    return ids.map((id) => byRecord.get(id) ?? []);
  });
}
