import { pluginJobsOf } from '../jobs/jobs-slot.js';
import { ReferenceKind, type EntityMetadata, type QueryResult } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { PluginManifest } from '../manifest.js';
import { customizableTypesIn } from '../../core/custom-fields/custom-field-admin.service.js';
import { nodeTypesOf } from '../../graphql/node-registry.js';
import { raw, Sql, sql } from '../../db/sql.js';

/**
 * What uninstalling a plugin from a workspace removes, worked out by the host from the plugin's manifest and its
 * entities' MikroORM metadata — nothing a plugin has to list by hand:
 *
 * - `tables`: the plugin's own tables (every entity's table, and the pivot tables of its many-to-many relations),
 *   children before the tables their foreign keys point at. Only tables with a `workspace_id` column: a table
 *   without one holds installation-wide rows and stays while the plugin is installed.
 * - `recordTypes`: the GraphQL types of the plugin's records — node types registered for one of its entity
 *   classes, and customizable types whose values live in one of its tables. Timeline links (activities' and other
 *   entries' links) and custom field definitions on these types go.
 * - `entryTypes`: the timeline entry types the manifest declares; their entries and links go.
 */
export interface PluginDataPlan {
  tables: string[];
  recordTypes: string[];
  entryTypes: string[];
}

type Meta = EntityMetadata<object>;

export function pluginDataPlan(em: SqlEntityManager, plugin: PluginManifest): PluginDataPlan {
  const metadata = em.getMetadata();
  const metas: Meta[] = [];
  for (const entity of plugin.entities ?? []) {
    const meta = metadata.find(entity as never) as Meta | undefined;
    if (!meta)
      throw new Error(
        `uninstall ${plugin.id}: entity ${(entity as { name?: string }).name ?? String(entity)} is not registered with the ORM`,
      );
    if (meta.abstract || meta.embeddable || meta.virtual) continue;
    metas.push(meta);
    // pivot tables the ORM manages for many-to-many relations the plugin owns
    for (const prop of meta.props) {
      if (prop.kind === ReferenceKind.MANY_TO_MANY && prop.owner && prop.pivotEntity) {
        const pivot = metadata.find(prop.pivotEntity as never) as Meta | undefined;
        if (pivot) metas.push(pivot);
      }
    }
  }
  const byTable = new Map<string, Meta>();
  for (const meta of metas) byTable.set(meta.tableName, meta);

  // a table's parents: the plugin tables its many-to-one / owning one-to-one foreign keys point at
  const parents = new Map<string, Set<string>>();
  for (const [table, meta] of byTable) {
    const refs = new Set<string>();
    for (const prop of meta.props) {
      const owning = prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner);
      const target = owning ? (prop.targetMeta as Meta | undefined) : undefined;
      if (target && target.tableName !== table && byTable.has(target.tableName)) refs.add(target.tableName);
    }
    parents.set(table, refs);
  }
  // children first: a table is deleted once no remaining table points at it
  const remaining = new Set(byTable.keys());
  const ordered: string[] = [];
  while (remaining.size) {
    const ready = [...remaining].filter((t) => ![...remaining].some((other) => other !== t && parents.get(other)!.has(t)));
    if (!ready.length) throw new Error(`uninstall ${plugin.id}: foreign keys between ${[...remaining].join(', ')} form a cycle`);
    for (const t of ready.sort()) {
      ordered.push(t);
      remaining.delete(t);
    }
  }
  const withWorkspace = ordered.filter((t) =>
    byTable.get(t)!.props.some((p) => p.fieldNames?.length === 1 && p.fieldNames[0] === 'workspace_id'),
  );

  const recordTypes = new Set<string>();
  for (const meta of metas) {
    const type = meta.class ? nodeTypesOf(em).typeNameOfClass(meta.class) : undefined;
    if (type) recordTypes.add(type);
  }
  for (const type of customizableTypesIn(em, byTable.keys())) recordTypes.add(type);

  return { tables: withWorkspace, recordTypes: [...recordTypes].sort(), entryTypes: [...(plugin.timelineEntryTypes ?? [])] };
}

/**
 * Rows removed per kind (`timeline_link`, `timeline_event`, `custom_field_definition`, `outbox_delivery`,
 * `processed_event`, `automation_rule` (its default rules), `automation_default_rule`, `automation_run` (runs about its
 * records), `queued_job` (the plugin's queued jobs there), and each plugin table).
 */
export type RemovedRows = Record<string, number>;

/**
 * Removes a workspace's data of a plugin, in the caller's transaction (under row-level security on PostgreSQL; every
 * statement names the workspace as well): the plugin's timeline entries and every timeline link to its records,
 * custom field definitions on its record types (their values live in its rows), the deliveries to its subscribers
 * (dead letters included), its handled events, its default automation rules and the runs about its records, and its
 * queued jobs, then its own rows, children before parents. Kernel records stay
 * (activities linked to one of its records keep their other links); other workspaces are untouched.
 */
export async function removePluginData(em: SqlEntityManager, plugin: PluginManifest, workspaceId: string): Promise<RemovedRows> {
  const plan = pluginDataPlan(em, plugin);
  const list = (values: string[]) =>
    Sql.join(
      values.map((v) => sql`${v}`),
      ', ',
    );
  const removed: RemovedRows = {};
  const run = async (kind: string, q: Sql) => {
    const result = await em.execute<QueryResult>(q.text, q.params, 'run');
    removed[kind] = (removed[kind] ?? 0) + Number(result?.affectedRows ?? 0);
  };

  const linkConditions: Sql[] = [];
  if (plan.recordTypes.length) linkConditions.push(sql`target_type in (${list(plan.recordTypes)})`);
  if (plan.entryTypes.length) linkConditions.push(sql`(entry_kind = 'event' and entry_type in (${list(plan.entryTypes)}))`);
  if (linkConditions.length)
    await run('timeline_link', sql`delete from timeline_link where workspace_id = ${workspaceId} and (${Sql.or(linkConditions)})`);
  if (plan.entryTypes.length)
    await run(
      'timeline_event',
      sql`delete from timeline_event where workspace_id = ${workspaceId} and entry_type in (${list(plan.entryTypes)})`,
    );
  if (plan.recordTypes.length) {
    await run(
      'custom_field_definition',
      sql`delete from custom_field_definition where workspace_id = ${workspaceId} and object_type in (${list(plan.recordTypes)})`,
    );
  }
  await run('outbox_delivery', sql`delete from outbox_delivery where workspace_id = ${workspaceId} and plugin = ${plugin.id}`);
  await run(
    'processed_event',
    sql`delete from processed_event where workspace_id = ${workspaceId} and split_part(subscriber, '/', 1) = ${plugin.id}`,
  );
  // its default automation rules (with their runs) and the record that the workspace had them, so re-enabling the
  // plugin brings them back; runs of other rules about its records
  const defaults = sql`${`${plugin.id}/`} || '%'`;
  await run('automation_rule', sql`delete from automation_rule where workspace_id = ${workspaceId} and source like ${defaults}`);
  await run(
    'automation_default_rule',
    sql`delete from automation_default_rule where workspace_id = ${workspaceId} and source like ${defaults}`,
  );
  if (plan.recordTypes.length)
    await run(
      'automation_run',
      sql`delete from automation_run where workspace_id = ${workspaceId} and record_type in (${list(plan.recordTypes)})`,
    );
  const jobs = pluginJobsOf(em);
  for (const name of jobs?.queuesOf(plugin.id) ?? []) {
    removed.queued_job = (removed.queued_job ?? 0) + (await jobs!.queue.deleteQueued(em, name, { workspaceId }));
  }
  for (const table of plan.tables) await run(table, sql`delete from ${raw(`"${table}"`)} where workspace_id = ${workspaceId}`);
  return removed;
}
