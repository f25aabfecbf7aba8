import type { SqlEntityManager } from '@mikro-orm/sql';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../permissions/principal.js';
import { redactChanges, redactValue } from './redact.js';

export interface AuditEntryInput {
  workspaceId: string | null;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  /** e.g. `contact.created`, `contact.updated`, `contact.merged`, `auth.signInFailed`. */
  action: string;
  objectType: string | null;
  objectId: string | null;
  /** Field → { before, after } (secrets are dropped by name, see redact.ts). */
  changes?: Record<string, { before: unknown; after: unknown }> | null;
  metadata?: Record<string, unknown> | null;
  /** The client's IP address, when known. */
  ip?: string | null;
}

/** The actor columns of an entry from a request's principal (an API key acts for the member who created it). */
export function actorOf(
  principal: Pick<Principal, 'workspaceId' | 'userId' | 'apiKeyId'>,
): Pick<AuditEntryInput, 'workspaceId' | 'actorUserId' | 'actorApiKeyId'> {
  return { workspaceId: principal.workspaceId, actorUserId: principal.userId, actorApiKeyId: principal.apiKeyId };
}

/** bigint values (money in minor units) as numbers when exact, else text. */
const jsonSafe = (_key: string, value: unknown) =>
  typeof value === 'bigint' ? (Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()) : value;

/** Secrets out, then JSON text for the jsonb columns. */
function rowValues(entry: AuditEntryInput): unknown[] {
  let changes: string | null = null;
  let metadata = entry.metadata ? (redactValue(entry.metadata) as Record<string, unknown>) : null;
  if (entry.changes) {
    const redacted = redactChanges(entry.changes);
    changes = JSON.stringify(redacted.changes, jsonSafe);
    if (redacted.redactedFields.length) {
      const known = Array.isArray(metadata?.redactedFields) ? (metadata.redactedFields as string[]) : [];
      metadata = { ...metadata, redactedFields: [...new Set([...known, ...redacted.redactedFields])] };
    }
  }
  return [
    randomUUID(),
    entry.workspaceId,
    entry.actorUserId,
    entry.actorApiKeyId,
    entry.action,
    entry.objectType,
    entry.objectId,
    changes,
    metadata ? JSON.stringify(metadata, jsonSafe) : null,
    entry.ip ? entry.ip.slice(0, 64) : null,
  ];
}

/**
 * Appends audit entries with one plain insert through `em` — inside the caller's transaction when `em` is one,
 * so they commit or roll back with the write they describe. Never goes through the unit of work.
 */
export async function recordAuditEntries(em: SqlEntityManager, entries: AuditEntryInput[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map(() => '(?, ?, clock_timestamp(), ?, ?, ?, ?, ?, cast(? as jsonb), cast(? as jsonb), ?)').join(', ');
  await em.execute(
    `insert into audit_log (id, workspace_id, occurred_at, actor_user_id, actor_api_key_id, action, object_type, object_id, changes, metadata, ip) values ${rows}`,
    entries.flatMap(rowValues),
  );
}

/** Appends one audit entry through `em` (inside the caller's transaction when em is one). */
export async function recordAudit(em: SqlEntityManager, entry: AuditEntryInput): Promise<void> {
  await recordAuditEntries(em, [entry]);
}

type AuditCaller = { em: SqlEntityManager; principal: Pick<Principal, 'workspaceId' | 'userId' | 'apiKeyId'>; ip?: string };

/** Records an explicit entry (a write that bypasses the unit of work) with the caller as actor, in the caller's transaction. */
export async function recordAuditAs(
  ctx: AuditCaller,
  entry: Omit<AuditEntryInput, 'workspaceId' | 'actorUserId' | 'actorApiKeyId'> & { workspaceId?: string | null },
): Promise<void> {
  await recordAudit(ctx.em, {
    ...actorOf(ctx.principal),
    ip: ctx.ip || null,
    ...entry,
    workspaceId: entry.workspaceId ?? ctx.principal.workspaceId,
  });
}

/**
 * The stored fields of a loaded entity as `{ before: value, after: null }` — what a hard delete (purge) erased.
 * Relations are kept as ids; lazy, hidden and bookkeeping columns are left out.
 */
export function erasedFields(em: SqlEntityManager, entity: object): Record<string, { before: unknown; after: unknown }> {
  const meta = em.getMetadata().get(entity.constructor as never);
  const out: Record<string, { before: unknown; after: unknown }> = {};
  for (const prop of meta.props) {
    if (['id', 'workspaceId', 'createdAt', 'updatedAt', 'version', 'searchText'].includes(prop.name) || prop.lazy || prop.hidden) continue;
    if (prop.kind !== 'scalar' && prop.kind !== 'm:1' && prop.kind !== 'embedded') continue;
    let value = (entity as Record<string, unknown>)[prop.name];
    if (value && typeof value === 'object' && prop.kind === 'm:1') value = (value as { id?: unknown }).id ?? null;
    if (value instanceof Date) value = value.toISOString();
    if (
      value == null ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === 'object' && Object.keys(value as object).length === 0)
    )
      continue;
    out[prop.name] = { before: value, after: null };
  }
  return out;
}
