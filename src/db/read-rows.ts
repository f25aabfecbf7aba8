import { ReferenceKind, type EntityClass, type EntityMetadata } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Sql } from './sql.js';

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

/**
 * Loads rows of one entity by primary key, scoped to a workspace when the entity is tenant-owned. `condition`
 * (over the alias `t`) narrows the rows further, e.g. to the caller's record scope.
 */
export async function readByIds<T extends { id: string }>(
  em: SqlEntityManager,
  entity: EntityClass<T>,
  ids: readonly string[],
  workspaceId: string | null,
  condition?: Sql,
): Promise<T[]> {
  if (ids.length === 0) return [];
  const meta = metadataOf(em, entity);
  const tenant = meta.properties['workspaceId' as keyof typeof meta.properties] ? ' and t.workspace_id = ?' : '';
  const extra = condition ? ` and (${condition.text})` : '';
  const rows = await em.execute<Record<string, unknown>[]>(
    `select ${readColumns(em, entity, 't')} from "${meta.tableName}" t where t.id in (${ids.map(() => '?').join(', ')})${tenant}${extra}`,
    [...ids, ...(tenant ? [workspaceId] : []), ...(condition?.params ?? [])],
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
  return parseTimestamp(String(value));
};

const digits = (s: string, at: number, count: number) => {
  let v = 0;
  for (let i = at; i < at + count; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v;
};

/**
 * Parses PostgreSQL's text form of timestamptz (`2026-11-23 14:00:00.123456+00`, the session runs in UTC)
 * without regular expressions: list pages hold hundreds of timestamps and generic parsing showed in profiles.
 */
export function parseTimestamp(text: string): Date {
  if (text.length < 22 || text[4] !== '-' || text[10] !== ' ') return new Date(text);
  let i = 19;
  let millis = 0;
  if (text[i] === '.') {
    i++;
    let scale = 100;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) {
      millis += (text.charCodeAt(i) - 48) * scale;
      scale /= 10;
      i++;
    }
    millis = Math.floor(millis);
  }
  const sign = text[i] === '-' ? -1 : 1;
  const offsetMinutes = digits(text, i + 1, 2) * 60 + (text[i + 3] === ':' ? digits(text, i + 4, 2) : 0);
  const utc = Date.UTC(
    digits(text, 0, 4),
    digits(text, 5, 2) - 1,
    digits(text, 8, 2),
    digits(text, 11, 2),
    digits(text, 14, 2),
    digits(text, 17, 2),
    millis,
  );
  return new Date(utc - sign * offsetMinutes * 60_000);
}
const toNumber = (value: unknown) => (value == null ? null : Number(value));
const same = (value: unknown) => value;
const toReference = (value: unknown) => (value == null ? null : { id: value });

function fieldsOf(meta: EntityMetadata<object>): FieldMapping[] {
  const fields: FieldMapping[] = [];
  for (const prop of Object.values(meta.properties) as EntityMetadata<object>['props']) {
    if (prop.lazy || prop.persist === false || !prop.fieldNames?.length) continue;
    if (prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.EMBEDDED) {
      const type = String(prop.type).toLowerCase();
      const convert =
        type === 'datetime' || type === 'date' ? toDate : type === 'bigint' || type === 'double' || type === 'decimal' ? toNumber : same;
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
