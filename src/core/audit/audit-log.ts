import type { SqlEntityManager } from '@mikro-orm/sql';

export interface AuditEntryInput {
  workspaceId: string | null;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  /** e.g. `contact.created`, `contact.updated`, `contact.merged`, `auth.loginFailed`. */
  action: string;
  objectType: string | null;
  objectId: string | null;
  /** Field → { before, after } (secrets never included). */
  changes?: Record<string, { before: unknown; after: unknown }> | null;
  metadata?: Record<string, unknown> | null;
}

/** Appends one audit entry through `em` (inside the caller's transaction when em is one). STUB: the audit helper implements it. */
export async function recordAudit(_em: SqlEntityManager, _entry: AuditEntryInput): Promise<void> {}
