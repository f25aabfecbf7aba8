import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Access } from '../../permissions/access.js';
import { accessOf, findRole } from '../../permissions/principal.js';
import { protectedFields } from '../../permissions/protected-fields.js';

/**
 * What an endpoint receives of an event: the event's envelope and its payload without the fields its role's field
 * allowlist hides. The record type of `contact.created` is `Contact` (the type name of the event's first segment);
 * a hidden protected field is left out wherever the payload carries it — at the top, under the record's key
 * (`contact: {…}`), in `changes` and `changedFields` — together with the columns it is stored in
 * (`annualRevenue` covers `annualRevenueAmount` and `annualRevenueCurrency`), like the audit log does.
 */

export interface WebhookMessage {
  /** The event's id (stable across retries and replays), or the delivery's for a test ping. */
  id: string;
  type: string;
  /** When the event happened (ISO 8601). */
  timestamp: string;
  workspaceId: string;
  data: Record<string, unknown>;
}

/** The access of the endpoint's role, for its field allowlist only (no user: record scopes do not apply). */
export async function endpointAccess(em: SqlEntityManager, workspaceId: string, roleKey: string): Promise<Access> {
  const role = await findRole(em, workspaceId, roleKey);
  // a role deleted since: every protected field hidden
  const fallback = Object.fromEntries(protectedFields.types().map((type) => [type, [] as string[]]));
  return accessOf(role ?? { key: roleKey, name: roleKey, description: '', grants: {}, fieldAllowlist: fallback }, null, []);
}

export const recordTypeOf = (eventType: string): string => {
  const prefix = eventType.split('.')[0] ?? '';
  return prefix.charAt(0).toUpperCase() + prefix.slice(1);
};

function stripKeys(value: unknown, isHidden: (key: string) => boolean): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !isHidden(key)));
}

/** The event's payload as the role may see it. */
export function visibleEventData(eventType: string, payload: Record<string, unknown>, access: Access): Record<string, unknown> {
  // an automation step's post names its record type (`recordType: 'Contact'`, fields under `contact`)
  const automated = eventType === 'automation.webhook' && typeof payload.recordType === 'string' ? payload.recordType : null;
  const hidden = [...access.hiddenFields(automated ?? recordTypeOf(eventType))];
  if (!hidden.length) return payload;
  const isHidden = (key: string) => hidden.some((h) => key === h || (key.startsWith(h) && /^[A-Z_]/.test(key.slice(h.length))));
  const prefix = automated ? automated.charAt(0).toLowerCase() + automated.slice(1) : eventType.split('.')[0]!;
  const data = stripKeys(payload, (key) => key !== 'id' && key !== prefix && isHidden(key)) as Record<string, unknown>;
  if (data[prefix] && typeof data[prefix] === 'object') data[prefix] = stripKeys(data[prefix], isHidden);
  if (data.changes && typeof data.changes === 'object') data.changes = stripKeys(data.changes, isHidden);
  if (Array.isArray(data.changedFields)) data.changedFields = data.changedFields.filter((f) => typeof f !== 'string' || !isHidden(f));
  return data;
}
