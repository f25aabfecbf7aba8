import { ChangeSetType, type ChangeSet, type Platform } from '@mikro-orm/core';

export type FieldChange = { before: unknown; after: unknown };

type PropInfo = {
  hidden?: boolean;
  customType?: { constructor: { name: string }; convertToJSValue(value: unknown, platform: Platform): unknown };
};

/** Columns that change on every write or are derived: noise for change logs and events. */
const NOISE = new Set(['id', 'workspaceId', 'createdAt', 'updatedAt', 'version', 'searchText']);

/** A JSON-safe value: change-set payloads hold database forms (json and array columns serialized) — turn them back. */
function plain(value: unknown, prop: PropInfo | undefined, platform: Platform): unknown {
  if (value === undefined) return null;
  if (typeof value === 'string' && prop?.customType) {
    try {
      value = prop.customType.constructor.name === 'JsonType' ? JSON.parse(value) : prop.customType.convertToJSValue(value, platform);
    } catch {
      // keep the stored form
    }
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value && typeof value === 'object' && 'id' in value && !Array.isArray(value)) return (value as { id: unknown }).id;
  return value;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const isEmpty = (value: unknown) =>
  value == null || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && Object.keys(value as object).length === 0);

export const isDeletion = (cs: ChangeSet<object>) => cs.type === ChangeSetType.DELETE || cs.type === ChangeSetType.DELETE_EARLY;

/**
 * Field-level before/after of one flushed change set (creates: after only; deletes: before only; updates: fields whose
 * value really changed), without noise columns. Hidden properties (secrets) are left out and only named.
 */
export function fieldChanges(
  cs: ChangeSet<object>,
  platform: Platform,
  options: { skipEmpty?: boolean } = {},
): { changes: Record<string, FieldChange>; hidden: string[] } {
  const changes: Record<string, FieldChange> = {};
  const hidden: string[] = [];
  const original = (cs.originalEntity ?? {}) as Record<string, unknown>;
  const deleting = isDeletion(cs);
  const source = (deleting ? original : cs.payload) as Record<string, unknown>;
  for (const [field, value] of Object.entries(source)) {
    if (NOISE.has(field)) continue;
    const prop = cs.meta.properties[field as keyof object] as PropInfo | undefined;
    if (prop?.hidden) {
      hidden.push(field);
      continue;
    }
    let change: FieldChange;
    if (cs.type === ChangeSetType.CREATE) change = { before: null, after: plain(value, prop, platform) };
    else if (deleting) change = { before: plain(value, prop, platform), after: null };
    else change = { before: plain(original[field], prop, platform), after: plain(value, prop, platform) };
    if (cs.type !== ChangeSetType.CREATE && !deleting && same(change.before, change.after)) continue;
    if (options.skipEmpty && (cs.type === ChangeSetType.CREATE || deleting) && isEmpty(change.before ?? change.after)) continue;
    changes[field] = change;
  }
  return { changes, hidden };
}
