import { randomBytes } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../../db/orm.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import { insertEvents } from '../../events/emit.js';
import { workspaceOf, type RequestContext } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { recordAuditAs } from '../audit/audit-log.js';
import { sameHash, sha256 } from '../auth/tokens.js';
import { Integration, IntegrationReceipt } from './integration.entity.js';
import { codePointName, disallowedInValue } from '../shared/text.js';

/** Largest JSON body `POST /hooks/in/<token>` accepts. */
export const INTEGRATION_BODY_LIMIT = 64 * 1024;
const NAME = /^[a-z][a-z0-9-]{0,59}$/;
/** Printable ASCII, as HTTP header values carry it. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const TOKEN = /^crm_in_([0-9a-f]{32})_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$/;

const hex = (uuid: string) => uuid.replace(/-/g, '');
const uuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;

/** `crm_in_<workspace hex>_<integration hex>_<secret>`: names its workspace, so the lookup runs under its tenant context. */
export const newIntegrationToken = (workspaceId: string, id: string) =>
  `crm_in_${hex(workspaceId)}_${hex(id)}_${randomBytes(32).toString('base64url')}`;

export function parseIntegrationToken(token: string): { workspaceId: string; id: string } | null {
  const m = TOKEN.exec(token);
  return m ? { workspaceId: uuid(m[1]!), id: uuid(m[2]!) } : null;
}

export async function createIntegration(
  ctx: RequestContext,
  input: { name: string },
): Promise<{ integration: Integration; token: string }> {
  const name = typeof input.name === 'string' ? input.name : '';
  if (!NAME.test(name)) throw InputRejected.one('name', 'must be 1–60 lower-case letters, digits and dashes, starting with a letter');
  const workspaceId = workspaceOf(ctx);
  if (await ctx.em.findOne(Integration, { workspaceId, name }, { filters: false })) {
    throw InputRejected.one('name', 'an integration with this name already exists', ErrorCode.CONFLICT);
  }
  const integration = ctx.em.create(Integration, { workspaceId, name, tokenHash: '', createdById: ctx.principal.userId ?? null });
  const token = newIntegrationToken(workspaceId, integration.id);
  integration.tokenHash = sha256(token);
  await ctx.em.flush();
  await recordAuditAs(ctx, { action: 'integration.created', objectType: 'Integration', objectId: integration.id, metadata: { name } });
  return { integration, token };
}

export async function revokeIntegration(ctx: RequestContext, globalId: string): Promise<Integration> {
  const id = expectGlobalId(globalId, 'Integration', 'id');
  const integration = await ctx.em.findOne(Integration, { id, workspaceId: workspaceOf(ctx) }, { filters: false });
  if (!integration) throw InputRejected.one('id', 'integration not found', ErrorCode.NOT_FOUND);
  if (!integration.revokedAt) {
    integration.revokedAt = new Date();
    await ctx.em.flush();
    await recordAuditAs(ctx, {
      action: 'integration.revoked',
      objectType: 'Integration',
      objectId: id,
      metadata: { name: integration.name },
    });
  }
  return integration;
}

export class InboundRejected extends Error {
  constructor(
    readonly status: 400 | 401 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** A post already accepted under its idempotency key (a concurrent twin): the transaction rolls back. */
class Replayed extends Error {}

/**
 * Accepts one post of an integration: its JSON body becomes an `integration.received` event `{ integration, integrationId,
 * body }` in the workspace (delivered to subscribers and rules like any domain event). With an idempotency key, a replay
 * returns the first post's event and writes nothing.
 */
export async function receiveIntegrationPost(
  orm: Orm,
  token: string,
  body: unknown,
  idempotencyKey?: string,
): Promise<{ eventId: string; replayed: boolean }> {
  const parts = parseIntegrationToken(token);
  if (!parts) throw new InboundRejected(401, 'unknown integration token');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new InboundRejected(400, 'Idempotency-Key must be 1–200 printable ASCII characters');
  }
  if (body === null || typeof body !== 'object') throw new InboundRejected(400, 'the body must be a JSON object or array');
  const disallowed = disallowedInValue(body, 'body');
  if (disallowed)
    throw new InboundRejected(
      400,
      `${disallowed.path}: ${codePointName(disallowed.code)} is not allowed in text (control characters other than tab, line feed and carriage return, and unpaired surrogates)`,
    );
  const previous = async (em: SqlEntityManager): Promise<IntegrationReceipt | null> =>
    idempotencyKey === undefined ? null : em.findOne(IntegrationReceipt, { integrationId: parts.id, idempotencyKey }, { filters: false });
  try {
    return await withWorkspace(orm, parts.workspaceId, async (em) => {
      const integration = await em.findOne(Integration, { id: parts.id, workspaceId: parts.workspaceId }, { filters: false });
      if (!integration || !sameHash(integration.tokenHash, sha256(token))) throw new InboundRejected(401, 'unknown integration token');
      if (integration.revokedAt) throw new InboundRejected(401, 'the integration was revoked');
      const earlier = await previous(em);
      if (earlier) return { eventId: earlier.eventId, replayed: true };
      const [eventId] = await insertEvents(em, [
        {
          workspaceId: parts.workspaceId,
          type: 'integration.received',
          payload: { integration: integration.name, integrationId: integration.id, body },
        },
      ]);
      if (idempotencyKey !== undefined) {
        const claimed = await em.execute<unknown[]>(
          `insert into integration_receipt (integration_id, idempotency_key, workspace_id, event_id) values (?, ?, ?, ?) on conflict do nothing returning event_id`,
          [parts.id, idempotencyKey, parts.workspaceId, eventId],
        );
        if (!claimed.length) throw new Replayed();
      }
      await em.execute(`update integration set last_received_at = clock_timestamp() where id = ? and workspace_id = ?`, [
        parts.id,
        parts.workspaceId,
      ]);
      return { eventId: eventId!, replayed: false };
    });
  } catch (error) {
    if (!(error instanceof Replayed)) throw error;
    const earlier = await withWorkspace(orm, parts.workspaceId, (em) => previous(em));
    return { eventId: earlier!.eventId, replayed: true };
  }
}
