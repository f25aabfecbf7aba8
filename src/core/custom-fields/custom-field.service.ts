import { z } from 'zod';
import { Sql, sql, raw, likeEscape } from '../../db/sql.js';
import { InputRejected, userError, type UserError } from '../../graphql/errors.js';
import type { RequestContext } from '../../graphql/context.js';
import { CustomFieldDefinition, CustomFieldType } from './custom-field-definition.entity.js';
import type { CustomFieldFilter } from '../shared/filters.js';
import type { CustomFieldValues } from '../shared/value-objects.js';
import { emailAddress, webUrl } from '../shared/validation.js';

export const CUSTOM_FIELD_KEY = /^[a-z][a-zA-Z0-9_]{0,63}$/;
const MAX_TEXT = 10_000;

/** Active custom field definitions of one object type in the caller's workspace, loaded once per request. */
export async function definitionsFor(ctx: RequestContext, objectType: string): Promise<Map<string, CustomFieldDefinition>> {
  const defs = await ctx.loaders
    .get<string, CustomFieldDefinition[]>('customFields.byObject', async (types, c) => {
      const rows = await c.em.find(
        CustomFieldDefinition,
        { objectType: { $in: [...types] }, archivedAt: null },
        { orderBy: { position: 'asc', key: 'asc' } },
      );
      return types.map((t) => rows.filter((r) => r.objectType === t));
    })
    .load(objectType);
  return new Map(defs.map((d) => [d.key, d]));
}

/**
 * Validates a partial set of custom values against the definitions and merges it over `current`
 * (`null` clears a value). Unknown keys and wrongly typed values are rejected naming `customFields.<key>`.
 */
export function mergeCustomValues(
  defs: Map<string, CustomFieldDefinition>,
  current: CustomFieldValues,
  patch: unknown,
  { creating, prefix = ['customFields'] }: { creating: boolean; prefix?: string[] },
): CustomFieldValues {
  const errors: UserError[] = [];
  const next: CustomFieldValues = { ...current };
  if (patch != null) {
    if (typeof patch !== 'object' || Array.isArray(patch)) {
      throw InputRejected.one(prefix, 'must be an object of custom field keys to values');
    }
    for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
      const def = defs.get(key);
      if (!def) {
        errors.push(userError([...prefix, key], `unknown custom field "${key}"`));
        continue;
      }
      if (value === null) {
        delete next[key];
        continue;
      }
      const result = coerceValue(def, value);
      if ('error' in result) errors.push(userError([...prefix, key], result.error));
      else next[key] = result.value;
    }
  }
  for (const def of defs.values()) {
    const missing = next[def.key] === undefined || (Array.isArray(next[def.key]) && (next[def.key] as unknown[]).length === 0);
    const touched = patch != null && typeof patch === 'object' && def.key in (patch as object);
    if (def.required && missing && (creating || touched)) {
      errors.push(userError([...prefix, def.key], `"${def.label}" is required`));
    }
  }
  if (errors.length) throw new InputRejected(errors);
  return next;
}

/** Converts one value to the stored JSON form of its field type, or explains why it cannot. */
export function coerceValue(def: CustomFieldDefinition, value: unknown): { value: unknown } | { error: string } {
  const options = new Set(def.options.map((o) => o.value));
  switch (def.type) {
    case CustomFieldType.TEXT: {
      if (typeof value !== 'string') return { error: 'must be text' };
      const max = def.maxLength ?? MAX_TEXT;
      if (value.length > max) return { error: `must be at most ${max} characters` };
      return { value };
    }
    case CustomFieldType.NUMBER:
    case CustomFieldType.MONEY: {
      if (typeof value !== 'number' || !Number.isFinite(value)) return { error: 'must be a number' };
      if (def.type === CustomFieldType.MONEY && !Number.isSafeInteger(value)) return { error: 'must be whole minor units' };
      if (def.min != null && value < def.min) return { error: `must be at least ${def.min}` };
      if (def.max != null && value > def.max) return { error: `must be at most ${def.max}` };
      return { value };
    }
    case CustomFieldType.DATE: {
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
        return { error: 'must be a date as YYYY-MM-DD' };
      }
      return { value };
    }
    case CustomFieldType.BOOLEAN:
      return typeof value === 'boolean' ? { value } : { error: 'must be true or false' };
    case CustomFieldType.SELECT:
      return typeof value === 'string' && options.has(value) ? { value } : { error: `must be one of: ${[...options].join(', ')}` };
    case CustomFieldType.MULTI_SELECT: {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !options.has(v))) {
        return { error: `must be a list of: ${[...options].join(', ')}` };
      }
      return { value: [...new Set(value as string[])] };
    }
    case CustomFieldType.URL: {
      const r = typeof value === 'string' ? webUrl.safeParse(value) : null;
      return r?.success ? { value: r.data } : { error: 'must be a valid URL' };
    }
    case CustomFieldType.EMAIL: {
      const r = typeof value === 'string' ? emailAddress.safeParse(value) : null;
      return r?.success ? { value: r.data } : { error: 'must be a valid email address' };
    }
  }
}

/** Typed SQL expression reading a custom value (keys are validated identifiers, safe to inline). */
export function customValueExpr(def: CustomFieldDefinition, alias: string): string {
  const text = `(${alias}.custom_fields->>'${def.key}')`;
  switch (def.type) {
    case CustomFieldType.NUMBER:
    case CustomFieldType.MONEY:
      return `${text}::numeric`;
    case CustomFieldType.DATE:
      return `${text}::date`;
    case CustomFieldType.BOOLEAN:
      return `${text}::boolean`;
    default:
      return text;
  }
}

export function customFieldExprOrReject(
  defs: Map<string, CustomFieldDefinition>,
  key: string,
  alias: string,
  field: string,
): { def: CustomFieldDefinition; expr: string } {
  const def = defs.get(key);
  if (!def) throw InputRejected.one(field, `unknown custom field "${key}"`);
  return { def, expr: customValueExpr(def, alias) };
}

/** SQL conditions for `filter.custom`, each value checked against the field's type. */
export function customFilterSql(
  defs: Map<string, CustomFieldDefinition>,
  alias: string,
  filters: CustomFieldFilter[] | undefined | null,
  field = 'filter.custom',
): Sql[] {
  const out: Sql[] = [];
  (filters ?? []).forEach((f, i) => {
    const path = `${field}.${i}`;
    const { def, expr } = customFieldExprOrReject(defs, f.key, alias, `${path}.key`);
    const e = raw(expr);
    const typed = (value: unknown, op: string) => {
      const checkDef =
        def.type === CustomFieldType.MULTI_SELECT ? Object.assign(Object.create(def), { type: CustomFieldType.SELECT }) : def;
      const r = coerceValue(checkDef, value);
      if ('error' in r) throw InputRejected.one(`${path}.${op}`, r.error);
      return r.value;
    };
    if (def.type === CustomFieldType.MULTI_SELECT) {
      const arr = raw(`(${alias}.custom_fields->'${def.key}')`);
      if (f.contains != null) out.push(sql`${arr} @> ${JSON.stringify([typed(f.contains, 'contains')])}::jsonb`);
      if (f.eq != null) out.push(sql`${arr} @> ${JSON.stringify([typed(f.eq, 'eq')])}::jsonb`);
      if (f.in) out.push(Sql.or(f.in.map((v) => sql`${arr} @> ${JSON.stringify([typed(v, 'in')])}::jsonb`)));
    } else {
      if (f.eq != null) out.push(sql`${e} = ${typed(f.eq, 'eq')}`);
      if (f.ne != null) out.push(sql`${e} is distinct from ${typed(f.ne, 'ne')}`);
      if (f.in) out.push(f.in.length ? Sql.or(f.in.map((v) => sql`${e} = ${typed(v, 'in')}`)) : sql`false`);
      for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
        if (f[op] == null) continue;
        if (![CustomFieldType.NUMBER, CustomFieldType.MONEY, CustomFieldType.DATE].includes(def.type)) {
          throw InputRejected.one(`${path}.${op}`, `cannot compare a ${def.type} field by order`);
        }
        const sqlOp = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[op];
        out.push(sql`${e} ${raw(sqlOp)} ${typed(f[op], op)}`);
      }
      if (f.contains != null) {
        if (typeof f.contains !== 'string') throw InputRejected.one(`${path}.contains`, 'must be text');
        out.push(sql`${e}::text ilike ${`%${likeEscape(f.contains)}%`}`);
      }
    }
    if (f.isNull != null) {
      const has = raw(`jsonb_exists(${alias}.custom_fields, '${def.key}')`);
      out.push(f.isNull ? sql`not ${has}` : has);
    }
  });
  return out;
}

export const customFieldDefinitionInput = z.object({
  key: z.string().regex(CUSTOM_FIELD_KEY, { message: 'must start with a lower-case letter and use only letters, digits and _ (max 64)' }),
  label: z.string().trim().min(1, { message: 'must not be empty' }).max(200, { message: 'must be at most 200 characters' }),
  type: z.enum(CustomFieldType),
  required: z.boolean().default(false),
  options: z
    .array(z.object({ value: z.string().trim().min(1).max(100), label: z.string().trim().min(1).max(200) }))
    .max(500)
    .default([]),
  min: z.number().finite().nullish(),
  max: z.number().finite().nullish(),
  maxLength: z.number().int().min(1).max(MAX_TEXT).nullish(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, { message: 'must be an ISO-4217 code' })
    .nullish(),
});

export function checkDefinitionShape(input: z.infer<typeof customFieldDefinitionInput>): void {
  const errors: UserError[] = [];
  const choice = input.type === CustomFieldType.SELECT || input.type === CustomFieldType.MULTI_SELECT;
  if (choice && input.options.length === 0) errors.push(userError('options', 'a select field needs at least one option'));
  if (!choice && input.options.length > 0) errors.push(userError('options', 'only select fields have options'));
  if (new Set(input.options.map((o) => o.value)).size !== input.options.length) {
    errors.push(userError('options', 'option values must be unique'));
  }
  if (input.min != null && input.max != null && input.min > input.max) errors.push(userError('min', 'must not exceed max'));
  if (input.type === CustomFieldType.MONEY && !input.currency) errors.push(userError('currency', 'a money field needs a currency'));
  if (errors.length) throw new InputRejected(errors);
}
