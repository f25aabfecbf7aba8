import { ReferenceKind, type EntityClass, type EntityMetadata } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';

/**
 * Read path without the unit of work. Lists and loaders turn SQL rows into plain objects of the entity's class
 * (so GraphQL resolvers and `Node` type resolution see the same shape), without identity-map registration,
 * change-tracking snapshots or property hooks. Hydrating through `em.map` costs ~50–100 µs per row, which made
 * a 50-row page with its relations spend most of its time there. Writes still load managed entities.
 */
type RowMapper<T> = (row: Record<string, unknown>) => T;

const mappers = new WeakMap<object, RowMapper<unknown>>();
const columnLists = new WeakMap<object, string>();

export function readRow<T extends object>(em: SqlEntityManager, entity: EntityClass<T>, row: Record<string, unknown>): T {
  return mapperFor(em, entity)(row);
}

export function readRows<T extends object>(em: SqlEntityManager, entity: EntityClass<T>, rows: Record<string, unknown>[]): T[] {
  const map = mapperFor(em, entity);
  return rows.map(map);
}

/** The eagerly loaded columns of an entity's table, qualified by `alias`. */
export function readColumns(em: SqlEntityManager, entity: EntityClass<object>, alias: string): string {
  let list = columnLists.get(entity);
  if (!list) {
    list = fieldsOf(metadataOf(em, entity) as unknown as EntityMetadata<object>)
      .map((f) => f.column)
      .join(',');
    columnLists.set(entity, list);
  }
  return list
    .split(',')
    .map((c) => `${alias}."${c}"`)
    .join(', ');
}

/** Loads rows of one entity by primary key, scoped to a workspace when the entity is tenant-owned. */
export async function readByIds<T extends { id: string }>(
  em: SqlEntityManager,
  entity: EntityClass<T>,
  ids: readonly string[],
  workspaceId: string | null,
): Promise<T[]> {
  if (ids.length === 0) return [];
  const meta = metadataOf(em, entity);
  const tenant = meta.properties['workspaceId' as keyof typeof meta.properties] ? ' and t.workspace_id = ?' : '';
  const rows = await em.execute<Record<string, unknown>[]>(
    `select ${readColumns(em, entity, 't')} from "${meta.tableName}" t where t.id in (${ids.map(() => '?').join(', ')})${tenant}`,
    tenant ? [...ids, workspaceId] : [...ids],
  );
  return readRows(em, entity, rows);
}

interface FieldMapping {
  prop: string;
  column: string;
  convert: (value: unknown) => unknown;
}

function metadataOf<T extends object>(em: SqlEntityManager, entity: EntityClass<T>): EntityMetadata<T> {
  return em.getMetadata().get(entity);
}

const toDate = (value: unknown) => {
  if (value == null || value instanceof Date) return value ?? null;
  // PostgreSQL text form `2026-11-23 14:00:00.123456+00`
  return new Date(String(value).replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
};
const toNumber = (value: unknown) => (value == null ? null : Number(value));
const same = (value: unknown) => value;
const toReference = (value: unknown) => (value == null ? null : { id: value });

function fieldsOf(meta: EntityMetadata<object>): FieldMapping[] {
  const fields: FieldMapping[] = [];
  for (const prop of Object.values(meta.properties) as EntityMetadata<object>['props']) {
    if (prop.lazy || prop.persist === false || !prop.fieldNames?.length) continue;
    if (prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.EMBEDDED) {
      const type = String(prop.type).toLowerCase();
      const convert = type === 'datetime' || type === 'date' ? toDate : type === 'bigint' || type === 'double' || type === 'decimal' ? toNumber : same;
      fields.push({ prop: prop.name, column: prop.fieldNames[0]!, convert });
    } else if (prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner)) {
      fields.push({ prop: prop.name, column: prop.fieldNames[0]!, convert: prop.mapToPk ? same : toReference });
    }
  }
  return fields;
}

function mapperFor<T extends object>(em: SqlEntityManager, entity: EntityClass<T>): RowMapper<T> {
  let mapper = mappers.get(entity) as RowMapper<T> | undefined;
  if (!mapper) {
    const fields = fieldsOf(metadataOf(em, entity) as unknown as EntityMetadata<object>);
    const prototype = entity.prototype as object;
    mapper = (row) => {
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        const value = row[f.column];
        if (value !== undefined) out[f.prop] = f.convert(value);
      }
      // set the class afterwards: assigning through the prototype would run MikroORM's property setters
      return Object.setPrototypeOf(out, prototype) as T;
    };
    mappers.set(entity, mapper as RowMapper<unknown>);
  }
  return mapper;
}
