import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import { parseGlobalId, UUID } from '../../graphql/global-id.js';
import { parseInput, trimmed } from '../shared/validation.js';
import { accessFor, findRole, type Principal } from '../../permissions/principal.js';
import type { FieldAllowlist } from '../../permissions/builtin-roles.js';
import { Scope } from '../../permissions/permission-registry.js';
import { protectedFields } from '../../permissions/protected-fields.js';
import { ApiKey } from './auth.entities.js';
import { newApiKeySecret, sameHash, sha256, unauthenticated, type TokenParts } from './tokens.js';

const SCOPE_RANK: Record<Scope, number> = { [Scope.OWN]: 1, [Scope.TEAM]: 2, [Scope.ALL]: 3 };
const TOUCH_EVERY_MS = 60_000;

export interface CreateApiKeyData {
  name: string;
  role: string;
  fieldAllowlist?: unknown;
  expiresAt?: Date | null;
}

const createInput = z.object({
  name: trimmed(100).pipe(z.string().min(1, { message: 'must not be empty' })),
  role: z.string().trim().min(1, { message: 'must name a role' }).max(200),
  fieldAllowlist: z.unknown().optional(),
  expiresAt: z.date().nullish(),
});

/** A role reference: a built-in key (`SUPPORT`), a custom role's uuid, or its global id. */
export function roleKey(ref: string): string {
  if (UUID.test(ref)) return ref.toLowerCase();
  const global = parseGlobalId(ref);
  if (global && UUID.test(global.id)) return global.id.toLowerCase();
  return ref.toUpperCase();
}

/** Checks an allowlist: an object of protected type → names of its protected fields. */
export function parseFieldAllowlist(value: unknown): FieldAllowlist | null {
  if (value === undefined || value === null) return null;
  const errors: UserError[] = [];
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw InputRejected.one('fieldAllowlist', 'must be an object of type name → visible protected fields, e.g. {"Contact": ["emails"]}');
  }
  const result: FieldAllowlist = {};
  for (const [type, fields] of Object.entries(value as Record<string, unknown>)) {
    const known = protectedFields.of(type).map((f) => f.field);
    if (!known.length) {
      errors.push(userError(['fieldAllowlist', type], `has no protected fields; use one of ${protectedFields.types().join(', ')}`));
      continue;
    }
    if (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string')) {
      errors.push(userError(['fieldAllowlist', type], 'must be a list of field names'));
      continue;
    }
    const unknown = (fields as string[]).filter((f) => !known.includes(f));
    if (unknown.length) {
      errors.push(userError(['fieldAllowlist', type], `${unknown.join(', ')}: not protected fields of ${type} (${known.join(', ')})`));
      continue;
    }
    result[type] = [...new Set(fields as string[])];
  }
  if (errors.length) throw new InputRejected(errors);
  return result;
}

/**
 * Creates a key for the calling member. The key may not reach further than its creator: its role's grants
 * and visible fields must be within the creator's own.
 */
export async function createApiKey(
  em: SqlEntityManager,
  principal: Principal,
  input: CreateApiKeyData,
): Promise<{ apiKey: ApiKey; secret: string }> {
  const workspaceId = principal.workspaceId!;
  const creatorId = principal.userId;
  if (!creatorId) throw InputRejected.one('input', 'only a member can create API keys', ErrorCode.FORBIDDEN);
  const data = parseInput(createInput, input);
  const fieldAllowlist = parseFieldAllowlist(data.fieldAllowlist);
  if (data.expiresAt && data.expiresAt.getTime() <= Date.now()) throw InputRejected.one('expiresAt', 'must be in the future');
  const key = roleKey(data.role);
  const role = await findRole(em, workspaceId, key);
  if (!role) throw InputRejected.one('role', `no role "${data.role}" in this workspace`, ErrorCode.NOT_FOUND);

  const beyond = Object.entries(role.grants)
    .filter(([permission, scope]) => {
      const mine = principal.access.scope(permission);
      return mine === null || SCOPE_RANK[mine] < SCOPE_RANK[scope];
    })
    .map(([permission]) => permission);
  if (beyond.length)
    throw InputRejected.one('role', `grants more than you hold yourself: ${beyond.sort().join(', ')}`, ErrorCode.FORBIDDEN);
  const keyAccess = await accessFor(em, workspaceId, creatorId, role, fieldAllowlist);
  const exposed = protectedFields
    .all()
    .filter((f) => keyAccess.canSeeField(f.type, f.field) && !principal.access.canSeeField(f.type, f.field));
  if (exposed.length) {
    throw InputRejected.one(
      'fieldAllowlist',
      `would show fields hidden from you: ${exposed.map((f) => `${f.type}.${f.field}`).join(', ')}`,
      ErrorCode.FORBIDDEN,
    );
  }

  const id = randomUUID();
  const secret = newApiKeySecret(workspaceId, id);
  const apiKey = em.create(ApiKey, {
    id,
    workspaceId,
    name: data.name,
    role: role.key,
    fieldAllowlist,
    secretHash: sha256(secret),
    last4: secret.slice(-4),
    createdBy: creatorId,
    expiresAt: data.expiresAt ?? null,
  });
  await em.flush();
  return { apiKey, secret };
}

export async function revokeApiKey(em: SqlEntityManager, workspaceId: string, id: string): Promise<ApiKey> {
  const apiKey = await em.findOne(ApiKey, { id, workspaceId });
  if (!apiKey) throw InputRejected.one('id', 'no such API key', ErrorCode.NOT_FOUND);
  if (!apiKey.revokedAt) {
    apiKey.revokedAt = new Date();
    await em.flush();
  }
  return apiKey;
}

interface KeyRow {
  secret_hash: string;
  role: string;
  field_allowlist: FieldAllowlist | string | null;
  created_by: string;
  revoked: boolean;
  expired: boolean;
  touch: boolean;
  member: boolean;
}

/**
 * The principal of an API key: the key's role, narrowed by its allowlist, acting as its creator ("own"
 * records are the creator's). A key whose creator left the workspace stops working.
 */
export async function apiKeyPrincipal(em: SqlEntityManager, token: string, parts: TokenParts): Promise<Principal> {
  const now = new Date();
  const rows = await em.execute<KeyRow[]>(
    `select k.secret_hash, k.role, k.field_allowlist, k.created_by, (k.revoked_at is not null) as revoked,
            (k.expires_at is not null and k.expires_at <= ?) as expired,
            (k.last_used_at is null or k.last_used_at < ?) as touch,
            exists (select 1 from membership m where m.workspace_id = k.workspace_id and m.user_id = k.created_by) as member
       from api_key k where k.id = ? and k.workspace_id = ?`,
    [now, new Date(now.getTime() - TOUCH_EVERY_MS), parts.id, parts.workspaceId],
  );
  const row = rows[0];
  if (!row || !sameHash(row.secret_hash, sha256(token))) throw unauthenticated('The API key is not valid.');
  if (row.revoked) throw unauthenticated('The API key was revoked.', { reason: 'API_KEY_REVOKED' });
  if (row.expired) throw unauthenticated('The API key has expired.', { reason: 'API_KEY_EXPIRED' });
  if (!row.member) throw unauthenticated('The API key’s creator is no longer a member of this workspace.');
  const role = await findRole(em, parts.workspaceId, row.role);
  if (!role) throw unauthenticated('The API key’s role no longer exists.');
  const allowlist = typeof row.field_allowlist === 'string' ? (JSON.parse(row.field_allowlist) as FieldAllowlist) : row.field_allowlist;
  if (row.touch) {
    // at most one write a minute per key
    await em.execute('update api_key set last_used_at = ? where id = ? and workspace_id = ?', [now, parts.id, parts.workspaceId]);
  }
  return {
    kind: 'apiKey',
    workspaceId: parts.workspaceId,
    userId: row.created_by,
    apiKeyId: parts.id,
    sessionId: null,
    roleKey: row.role,
    access: await accessFor(em, parts.workspaceId, row.created_by, role, allowlist),
  };
}
