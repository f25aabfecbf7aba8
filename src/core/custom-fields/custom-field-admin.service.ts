import { z } from 'zod';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { parseInput } from '../shared/validation.js';
import { AppSlot, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { ContributionRegistry, KERNEL_OWNER } from '../../registries/contribution-registry.js';
import { CustomFieldDefinition, CustomFieldType } from './custom-field-definition.entity.js';
import { checkDefinitionShape, customFieldDefinitionInput } from './custom-field.service.js';

/** The kernel's record types that carry custom fields, with the table holding their `custom_fields` column. */
export const kernelCustomizableTypes = new ContributionRegistry<string>('customizable type');
kernelCustomizableTypes.add(KERNEL_OWNER, 'Company', 'company');
kernelCustomizableTypes.add(KERNEL_OWNER, 'Contact', 'contact');

/** Each app's customizable types: the kernel's plus its plugins' record types declaring `customFields`. */
export const CUSTOMIZABLE_TYPES_SLOT = new AppSlot<ContributionRegistry<string>>('customizable types');

export function customizableTypesOf(em: AppScoped): ContributionRegistry<string> {
  return lookupInApp(em, CUSTOMIZABLE_TYPES_SLOT) ?? kernelCustomizableTypes;
}

/** The customizable record types whose values live in one of `tables` (a plugin's: uninstall removes their definitions). */
export function customizableTypesIn(em: AppScoped, tables: Iterable<string>): string[] {
  const wanted = new Set(tables);
  return customizableTypesOf(em)
    .entries()
    .filter(([, table]) => wanted.has(table))
    .map(([type]) => type);
}

function tableOf(ctx: RequestContext, objectType: string): string {
  const types = customizableTypesOf(ctx.em);
  const table = types.get(objectType);
  if (!table) {
    throw InputRejected.one('objectType', `must be one of: ${types.keys().join(', ')}`);
  }
  return table;
}

const MAX_FIELDS_PER_OBJECT = 200;

export async function createCustomField(ctx: RequestContext, input: unknown): Promise<CustomFieldDefinition> {
  const workspaceId = workspaceOf(ctx);
  const { objectType, position, ...rest } = input as { objectType: string; position?: number | null };
  tableOf(ctx, objectType);
  const data = parseInput(customFieldDefinitionInput, rest);
  checkDefinitionShape(data);
  const em = ctx.em;
  if (await em.findOne(CustomFieldDefinition, { objectType, key: data.key })) {
    throw InputRejected.one('key', `${objectType} already has a custom field "${data.key}"`, ErrorCode.CONFLICT);
  }
  const count = await em.count(CustomFieldDefinition, { objectType, archivedAt: null });
  if (count >= MAX_FIELDS_PER_OBJECT) {
    throw InputRejected.one('objectType', `at most ${MAX_FIELDS_PER_OBJECT} custom fields per object type`, ErrorCode.CONFLICT);
  }
  const def = em.create(CustomFieldDefinition, { ...data, workspaceId, objectType, position: position ?? count });
  await em.flush();
  return def;
}

const updateSchema = customFieldDefinitionInput
  .pick({ label: true, required: true, options: true, min: true, max: true, maxLength: true })
  .partial()
  .extend({ position: z.number().int().min(0).nullish() });

export async function updateCustomField(
  ctx: RequestContext,
  input: { id: string } & Record<string, unknown>,
): Promise<CustomFieldDefinition> {
  const def = await definitionOrReject(ctx, input.id);
  const { id: _id, ...rest } = input;
  const data = parseInput(updateSchema, rest);
  const next = { ...def, ...Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)) };
  checkDefinitionShape({ ...next, options: next.options ?? [] } as Parameters<typeof checkDefinitionShape>[0]);
  if (data.options && (def.type === CustomFieldType.SELECT || def.type === CustomFieldType.MULTI_SELECT)) {
    const kept = new Set(data.options.map((o) => o.value));
    const removed = def.options.map((o) => o.value).filter((v) => !kept.has(v));
    if (removed.length) {
      const table = tableOf(ctx, def.objectType);
      const column = `custom_fields->'${def.key}'`;
      const matches = removed.map(() => `${column} = to_jsonb(?::text) or ${column} @> jsonb_build_array(?::text)`).join(' or ');
      const inUse = await ctx.em.execute<{ n: number }[]>(
        `select count(*)::int as n from ${table} where workspace_id = ? and (${matches})`,
        [def.workspaceId, ...removed.flatMap((v) => [v, v])],
      );
      if (Number(inUse[0]?.n) > 0) {
        throw InputRejected.one('options', `options still in use by ${inUse[0]!.n} records: ${removed.join(', ')}`, ErrorCode.CONFLICT);
      }
    }
  }
  Object.assign(def, Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)));
  await ctx.em.flush();
  return def;
}

/** Hides a field from forms, filters and validation; values stay stored and come back on unarchive. */
export async function setArchived(ctx: RequestContext, globalId: string, archived: boolean): Promise<CustomFieldDefinition> {
  const def = await definitionOrReject(ctx, globalId);
  if (
    !archived &&
    (await ctx.em.findOne(CustomFieldDefinition, { objectType: def.objectType, key: def.key, archivedAt: null, id: { $ne: def.id } }))
  ) {
    throw InputRejected.one('id', 'an active field already uses this key', ErrorCode.CONFLICT);
  }
  def.archivedAt = archived ? new Date() : null;
  await ctx.em.flush();
  return def;
}

/** Deletes the definition and erases its values from every record. */
export async function deleteCustomField(ctx: RequestContext, globalId: string): Promise<string> {
  const def = await definitionOrReject(ctx, globalId);
  const table = tableOf(ctx, def.objectType);
  await ctx.em.execute(`update ${table} set custom_fields = custom_fields - ? where workspace_id = ? and jsonb_exists(custom_fields, ?)`, [
    def.key,
    def.workspaceId,
    def.key,
  ]);
  await ctx.em.remove(def).flush();
  return def.id;
}

async function definitionOrReject(ctx: RequestContext, globalId: string): Promise<CustomFieldDefinition> {
  workspaceOf(ctx);
  const def = await ctx.em.findOne(CustomFieldDefinition, { id: expectGlobalId(globalId, 'CustomFieldDefinition', 'id') });
  if (!def) throw InputRejected.one('id', 'custom field not found', ErrorCode.NOT_FOUND);
  return def;
}
