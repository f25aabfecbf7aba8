import type { CustomFieldDefinition } from '../custom-fields/custom-field-definition.entity.js';
import { CustomFieldType } from '../custom-fields/custom-field-definition.entity.js';
import type { AutomationCatalog, AutomationField, AutomationRecordType, Facts, FieldKind } from './catalog.js';
import { isFieldCondition, type Condition, type FieldCondition, type Operator } from './definition.js';

/** Operators each kind of field takes. */
export const OPERATORS_BY_KIND: Record<FieldKind, readonly Operator[]> = {
  string: ['eq', 'neq', 'in', 'notIn', 'contains', 'notContains', 'startsWith', 'endsWith', 'isEmpty', 'isNotEmpty'],
  number: ['eq', 'neq', 'in', 'notIn', 'gt', 'gte', 'lt', 'lte', 'isEmpty', 'isNotEmpty'],
  date: ['before', 'after', 'withinLastDays', 'moreThanDaysAgo', 'withinNextDays', 'isEmpty', 'isNotEmpty'],
  boolean: ['eq', 'neq'],
  enum: ['eq', 'neq', 'in', 'notIn', 'isEmpty', 'isNotEmpty'],
  user: ['eq', 'neq', 'in', 'notIn', 'isEmpty', 'isNotEmpty'],
  record: ['eq', 'neq', 'in', 'notIn', 'isEmpty', 'isNotEmpty'],
  tags: ['includes', 'excludes', 'isEmpty', 'isNotEmpty'],
  idList: ['includes', 'excludes', 'isEmpty', 'isNotEmpty'],
  json: ['eq', 'neq', 'in', 'notIn', 'contains', 'gt', 'gte', 'lt', 'lte', 'isEmpty', 'isNotEmpty'],
};

const CUSTOM_KINDS: Record<CustomFieldType, FieldKind> = {
  [CustomFieldType.TEXT]: 'string',
  [CustomFieldType.URL]: 'string',
  [CustomFieldType.EMAIL]: 'string',
  [CustomFieldType.NUMBER]: 'number',
  [CustomFieldType.MONEY]: 'number',
  [CustomFieldType.DATE]: 'date',
  [CustomFieldType.BOOLEAN]: 'boolean',
  [CustomFieldType.SELECT]: 'enum',
  [CustomFieldType.MULTI_SELECT]: 'idList',
};

/** A custom field as a condition field (`custom.<key>`). */
export function customField(def: CustomFieldDefinition): AutomationField {
  return {
    kind: CUSTOM_KINDS[def.type],
    values: def.type === CustomFieldType.SELECT ? def.options.map((o) => o.value) : undefined,
    protectedAs: 'customFields',
    label: def.label,
  };
}

/** What a field path names, for one record type: the field and the record type that holds it (null: no such field). */
export interface ResolvedField {
  field: AutomationField;
  /** The record type whose field it is (a related one for `company.industry`). */
  owner: AutomationRecordType | null;
}

export interface FieldScope {
  recordType: AutomationRecordType | null;
  catalog: AutomationCatalog;
  /** Custom field definitions by object type. */
  customFields: Map<string, Map<string, CustomFieldDefinition>>;
  /** Whether `event.*` paths exist (the trigger is an event). */
  hasEvent: boolean;
}

export function resolveField(path: string, scope: FieldScope): ResolvedField | null {
  if (path.startsWith('event.') || path === 'event') return scope.hasEvent ? { field: { kind: 'json' }, owner: null } : null;
  return resolveRecordField(path, scope.recordType, scope, 0);
}

function resolveRecordField(path: string, type: AutomationRecordType | null, scope: FieldScope, depth: number): ResolvedField | null {
  if (!type) return null;
  const own = type.fields[path];
  if (own) return { field: own, owner: type };
  const [head, ...rest] = path.split('.');
  if (head === 'custom' && rest.length === 1 && type.customObjectType) {
    const def = scope.customFields.get(type.customObjectType)?.get(rest[0]!);
    return def ? { field: customField(def), owner: type } : null;
  }
  const related = head && type.related?.[head];
  if (related && rest.length && depth === 0)
    return resolveRecordField(rest.join('.'), scope.catalog.recordTypes.get(related.recordType) ?? null, scope, 1);
  return null;
}

/** What is wrong with a field condition's operator and value for the field's kind (null: nothing). */
export function operandProblem(condition: FieldCondition, field: AutomationField): { at: 'op' | 'value'; message: string } | null {
  const allowed = OPERATORS_BY_KIND[field.kind];
  if (!allowed.includes(condition.op))
    return { at: 'op', message: `${condition.op} does not apply to a ${field.kind} field; use one of ${allowed.join(', ')}` };
  const value = condition.value;
  if (condition.op === 'isEmpty' || condition.op === 'isNotEmpty')
    return value === undefined ? null : { at: 'value', message: `${condition.op} takes no value` };
  if (value === undefined) return { at: 'value', message: `${condition.op} needs a value` };
  if (condition.op === 'in' || condition.op === 'notIn') {
    if (!Array.isArray(value) || !value.length) return { at: 'value', message: `${condition.op} needs a non-empty list` };
    for (const v of value) {
      const problem = scalarProblem(v, field);
      if (problem) return { at: 'value', message: problem };
    }
    return null;
  }
  if (Array.isArray(value)) return { at: 'value', message: `${condition.op} takes one value, not a list` };
  if (condition.op === 'withinLastDays' || condition.op === 'moreThanDaysAgo' || condition.op === 'withinNextDays')
    return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 3650
      ? null
      : { at: 'value', message: 'a whole number of days between 0 and 3650' };
  if (condition.op === 'before' || condition.op === 'after')
    return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? null : { at: 'value', message: 'an ISO 8601 date or time' };
  if (field.kind === 'tags' || field.kind === 'idList') return typeof value === 'string' ? null : { at: 'value', message: 'a text value' };
  if (field.kind === 'json') return null;
  if (condition.op === 'contains' || condition.op === 'notContains' || condition.op === 'startsWith' || condition.op === 'endsWith')
    return typeof value === 'string' ? null : { at: 'value', message: 'a text value' };
  const problem = scalarProblem(value, field);
  return problem ? { at: 'value', message: problem } : null;
}

function scalarProblem(value: unknown, field: AutomationField): string | null {
  switch (field.kind) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'a number';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'true or false';
    case 'enum':
      return typeof value === 'string' && (field.values ?? []).includes(value)
        ? null
        : `one of ${(field.values ?? []).join(', ') || '(no values)'}`;
    case 'user':
    case 'record':
    case 'string':
    case 'date':
      return typeof value === 'string' ? null : 'a text value';
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// evaluation

const DAY = 86_400_000;
const isEmpty = (v: unknown) => v == null || v === '' || (Array.isArray(v) && v.length === 0);
const time = (v: unknown): number => (v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number.NaN);
const text = (v: unknown) => (v == null ? '' : String(v)).toLowerCase();

/** The value at a dot path of the facts: a flat key first (`company.industry`), else a walk (`event.body.order.id`). */
export function factAt(facts: Facts, path: string): unknown {
  if (path in facts) return facts[path];
  let value: unknown = facts;
  for (const segment of path.split('.')) {
    if (value == null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b) && a != null && b != null;
  return (a ?? null) === (b ?? null);
}

function holdsField(c: FieldCondition, facts: Facts, now: number): boolean {
  const actual = factAt(facts, c.field);
  const value = c.value;
  switch (c.op) {
    case 'isEmpty':
      return isEmpty(actual);
    case 'isNotEmpty':
      return !isEmpty(actual);
    case 'eq':
      return Array.isArray(actual) ? actual.some((a) => equal(a, value)) : equal(actual, value);
    case 'neq':
      return Array.isArray(actual) ? !actual.some((a) => equal(a, value)) : !equal(actual, value);
    case 'in':
      return Array.isArray(value) && value.some((v) => equal(actual, v));
    case 'notIn':
      return !(Array.isArray(value) && value.some((v) => equal(actual, v)));
    case 'contains':
      return Array.isArray(actual) ? actual.some((a) => equal(a, value)) : text(actual).includes(text(value));
    case 'notContains':
      return !text(actual).includes(text(value));
    case 'startsWith':
      return text(actual).startsWith(text(value));
    case 'endsWith':
      return text(actual).endsWith(text(value));
    case 'gt':
      return actual != null && Number(actual) > Number(value);
    case 'gte':
      return actual != null && Number(actual) >= Number(value);
    case 'lt':
      return actual != null && Number(actual) < Number(value);
    case 'lte':
      return actual != null && Number(actual) <= Number(value);
    case 'before':
      return time(actual) < time(value);
    case 'after':
      return time(actual) > time(value);
    case 'withinLastDays': {
      const t = time(actual);
      return t <= now && t >= now - Number(value) * DAY;
    }
    case 'moreThanDaysAgo':
      return time(actual) < now - Number(value) * DAY;
    case 'withinNextDays': {
      const t = time(actual);
      return t >= now && t <= now + Number(value) * DAY;
    }
    case 'includes':
      return Array.isArray(actual) && actual.some((a) => equal(a, value));
    case 'excludes':
      return !(Array.isArray(actual) && actual.some((a) => equal(a, value)));
  }
}

/** Whether a condition holds on the facts at `now` (an absent condition holds). */
export function holds(condition: Condition | null | undefined, facts: Facts, now: Date): boolean {
  if (!condition) return true;
  if (isFieldCondition(condition)) return holdsField(condition, facts, now.getTime());
  if ('all' in condition) return condition.all.every((c) => holds(c, facts, now));
  if ('any' in condition) return condition.any.some((c) => holds(c, facts, now));
  return !holds(condition.not, facts, now);
}

/** The field conditions of a tree, with their paths in the definition (`conditions.all[0]`). */
export function fieldConditions(condition: Condition | null | undefined, path: string[]): [FieldCondition, string[]][] {
  if (!condition) return [];
  if (isFieldCondition(condition)) return [[condition, path]];
  if ('all' in condition) return condition.all.flatMap((c, i) => fieldConditions(c, [...path, 'all', String(i)]));
  if ('any' in condition) return condition.any.flatMap((c, i) => fieldConditions(c, [...path, 'any', String(i)]));
  return fieldConditions(condition.not, [...path, 'not']);
}
