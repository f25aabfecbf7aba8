import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import type { Principal } from '../../permissions/principal.js';
import { findRole } from '../../permissions/principal.js';
import { protectedFields } from '../../permissions/protected-fields.js';
import { roleKey } from '../auth/api-keys.service.js';
import { parseConditions, parsePatterns, type WebhookCondition } from './event-filters.js';
import { endpointAccess } from './payload.js';
import { attemptInTransaction, notifyQueued, type AttemptOutcome, type QueuedDelivery } from './delivery.js';
import { newWebhookSecret } from './signing.js';
import { decryptSecret, encryptSecret, WEBHOOK_PREVIOUS_SECRET, WEBHOOK_SECRET } from '../encryption/index.js';
import { checkWebhookUrl } from './ssrf.js';
import { hasControlCharacter } from '../shared/text.js';
import type { WebhookSettings } from './settings.js';
import { WebhookEndpoint } from './webhook.entities.js';

/** Endpoints one workspace may have (each event is matched against all of them). */
export const MAX_ENDPOINTS_PER_WORKSPACE = 50;
/** The longest overlap of a rotation (the previous secret keeps signing that long). */
export const MAX_OVERLAP_HOURS = 24 * 7;

export interface EndpointInput {
  url?: string | null;
  description?: string | null;
  eventTypes?: string[] | null;
  conditions?: unknown;
  enabled?: boolean | null;
  role?: string | null;
}

interface EndpointData {
  url: string;
  description: string | null;
  eventTypes: string[];
  conditions: WebhookCondition[];
  enabled: boolean;
  role: string;
}

/** Collects the problems of every field at once; `partial` (updates): only the fields given. */
async function parseEndpointInput(
  em: SqlEntityManager,
  principal: Principal,
  input: EndpointInput,
  settings: WebhookSettings,
  partial: boolean,
): Promise<Partial<EndpointData>> {
  const errors: UserError[] = [];
  const data: Partial<EndpointData> = {};
  const given = (value: unknown) => value !== undefined && !(partial && value === null);
  const collect = (work: () => void) => {
    try {
      work();
    } catch (error) {
      if (!(error instanceof InputRejected)) throw error;
      errors.push(...error.errors);
    }
  };

  if (given(input.url) || !partial) {
    const checked = checkWebhookUrl(typeof input.url === 'string' ? input.url.trim() : '', settings.allow);
    if (checked.problem !== null) {
      const code = /^targets /.test(checked.problem) ? ErrorCode.FORBIDDEN : ErrorCode.BAD_USER_INPUT;
      errors.push(userError('url', checked.problem, code));
    } else data.url = checked.url;
  }
  if (input.description !== undefined) {
    const text = input.description?.trim() ?? '';
    if (text.length > 500) errors.push(userError('description', 'must be at most 500 characters'));
    else if (hasControlCharacter(text, true)) errors.push(userError('description', 'must not contain control characters'));
    else data.description = text === '' ? null : text;
  }
  if (given(input.eventTypes) || !partial) collect(() => (data.eventTypes = parsePatterns(input.eventTypes, 'eventTypes')));
  if (input.conditions !== undefined) collect(() => (data.conditions = parseConditions(input.conditions, 'conditions')));
  if (given(input.enabled)) data.enabled = input.enabled ?? true;
  if (given(input.role)) {
    const ref = typeof input.role === 'string' ? input.role.trim() : '';
    if (!ref || ref.length > 200) errors.push(userError('role', 'must name a role'));
    else {
      const role = await findRole(em, principal.workspaceId!, roleKey(ref));
      if (!role) errors.push(userError('role', `no role "${ref.slice(0, 100)}" in this workspace`, ErrorCode.NOT_FOUND));
      else {
        const exposed = await exposedFields(em, principal, role.key);
        if (exposed.length) errors.push(userError('role', `would send fields hidden from you: ${exposed.join(', ')}`, ErrorCode.FORBIDDEN));
        else data.role = role.key;
      }
    }
  } else if (!partial) {
    data.role = 'ADMIN';
    const exposed = await exposedFields(em, principal, 'ADMIN');
    if (exposed.length)
      errors.push(
        userError(
          'role',
          `the default role (Admin) would send fields hidden from you: ${exposed.join(', ')}; name a role`,
          ErrorCode.FORBIDDEN,
        ),
      );
  }
  if (errors.length) throw new InputRejected(errors);
  return data;
}

/** Protected fields the role would put in payloads that the caller may not see (`Type.field`). */
async function exposedFields(em: SqlEntityManager, principal: Principal, role: string): Promise<string[]> {
  const access = await endpointAccess(em, principal.workspaceId!, role);
  return protectedFields
    .all()
    .filter((f) => access.canSeeField(f.type, f.field) && !principal.access.canSeeField(f.type, f.field))
    .map((f) => `${f.type}.${f.field}`);
}

export async function createEndpoint(
  em: SqlEntityManager,
  principal: Principal,
  input: EndpointInput,
  settings: WebhookSettings,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const workspaceId = principal.workspaceId!;
  const data = (await parseEndpointInput(em, principal, input, settings, false)) as EndpointData;
  const count = await em.count(WebhookEndpoint, { workspaceId });
  if (count >= MAX_ENDPOINTS_PER_WORKSPACE)
    throw InputRejected.one('input', `a workspace has at most ${MAX_ENDPOINTS_PER_WORKSPACE} webhook endpoints`, ErrorCode.CONFLICT);
  const secret = newWebhookSecret();
  const id = randomUUID();
  const endpoint = em.create(WebhookEndpoint, {
    id,
    workspaceId,
    url: data.url,
    description: data.description ?? null,
    eventTypes: data.eventTypes,
    conditions: data.conditions ?? [],
    enabled: data.enabled ?? true,
    role: data.role,
    secret: encryptSecret(em, WEBHOOK_SECRET, id, secret),
    createdBy: principal.userId,
  });
  await em.flush();
  return { endpoint, secret };
}

export async function findEndpoint(em: SqlEntityManager, workspaceId: string, id: string): Promise<WebhookEndpoint> {
  const endpoint = await em.findOne(WebhookEndpoint, { id, workspaceId });
  if (!endpoint) throw InputRejected.one('id', 'webhook endpoint not found', ErrorCode.NOT_FOUND);
  return endpoint;
}

export async function updateEndpoint(
  em: SqlEntityManager,
  principal: Principal,
  id: string,
  input: EndpointInput,
  settings: WebhookSettings,
): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(em, principal.workspaceId!, id);
  const data = await parseEndpointInput(em, principal, input, settings, true);
  // whoever changes an endpoint (its URL above all) must be able to see what it sends
  if (data.role === undefined) {
    const exposed = await exposedFields(em, principal, endpoint.role);
    if (exposed.length)
      throw InputRejected.one(
        'role',
        `the endpoint sends fields hidden from you (${exposed.join(', ')}); name a role that does not`,
        ErrorCode.FORBIDDEN,
      );
  }
  if (data.url !== undefined) endpoint.url = data.url;
  if (data.description !== undefined) endpoint.description = data.description;
  if (data.eventTypes !== undefined) endpoint.eventTypes = data.eventTypes;
  if (data.conditions !== undefined) endpoint.conditions = data.conditions;
  if (data.role !== undefined) endpoint.role = data.role;
  if (data.enabled !== undefined && data.enabled !== endpoint.enabled) {
    endpoint.enabled = data.enabled;
    // re-enabled: a fresh start of the failing clock
    if (data.enabled) Object.assign(endpoint, { disabledAt: null, disabledReason: null, failingSince: null });
    else Object.assign(endpoint, { disabledReason: 'disabled by a member' });
  }
  await em.flush();
  return endpoint;
}

/** A new current secret; the old one keeps signing for `overlapHours` (0: stops at once). Returns the new secret. */
export async function rotateSecret(
  em: SqlEntityManager,
  workspaceId: string,
  id: string,
  overlapHours: number,
  now: Date,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  if (!Number.isInteger(overlapHours) || overlapHours < 0 || overlapHours > MAX_OVERLAP_HOURS)
    throw InputRejected.one('overlapHours', `must be a whole number of hours from 0 to ${MAX_OVERLAP_HOURS}`);
  const endpoint = await findEndpoint(em, workspaceId, id);
  const secret = newWebhookSecret();
  // each column binds its values to itself: the current secret moves to previous_secret re-encrypted
  endpoint.previousSecret =
    overlapHours > 0
      ? encryptSecret(em, WEBHOOK_PREVIOUS_SECRET, endpoint.id, decryptSecret(em, WEBHOOK_SECRET, endpoint.id, endpoint.secret))
      : null;
  endpoint.previousSecretExpiresAt = overlapHours > 0 ? new Date(now.getTime() + overlapHours * 60 * 60 * 1000) : null;
  endpoint.secret = encryptSecret(em, WEBHOOK_SECRET, endpoint.id, secret);
  await em.flush();
  return { endpoint, secret };
}

/** A `webhook.ping` delivery to the endpoint, attempted at once (even when the endpoint is disabled); never retried. */
export async function pingEndpoint(
  em: SqlEntityManager,
  workspaceId: string,
  id: string,
  now: Date,
  settings: WebhookSettings,
): Promise<{ deliveryId: string; outcome: AttemptOutcome }> {
  await findEndpoint(em, workspaceId, id);
  const deliveryId = randomUUID();
  await em.execute(
    `insert into webhook_delivery (id, workspace_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
     values (?, ?, ?, null, 'webhook.ping', 'pending', 0, ?, clock_timestamp(), clock_timestamp())`,
    [deliveryId, workspaceId, id, now.toISOString()],
  );
  return { deliveryId, outcome: await attemptInTransaction(em, workspaceId, deliveryId, now, settings) };
}

/** Queues one delivery again, whatever its status (attempts and the schedule start over; the log keeps counting). */
export async function replayDelivery(em: SqlEntityManager, workspaceId: string, id: string, now: Date): Promise<void> {
  const [row] = await em.execute<{ locked_until: unknown }[]>(
    `select locked_until from webhook_delivery where id = ? and workspace_id = ? for update`,
    [id, workspaceId],
  );
  if (!row) throw InputRejected.one('id', 'webhook delivery not found', ErrorCode.NOT_FOUND);
  const locked = row.locked_until == null ? null : new Date(row.locked_until as string | Date);
  if (locked && locked.getTime() > now.getTime())
    throw InputRejected.one('id', 'an attempt of this delivery is in progress; try again in a moment', ErrorCode.CONFLICT);
  await requeue(em, workspaceId, `id = ?`, [id], now);
}

/** Queues again every failed or dead delivery of the endpoint created in [from, to); returns how many. */
export async function replayFailed(
  em: SqlEntityManager,
  workspaceId: string,
  endpointId: string,
  from: Date,
  to: Date,
  now: Date,
): Promise<number> {
  if (Number.isNaN(from.getTime())) throw InputRejected.one('from', 'must be a date');
  if (Number.isNaN(to.getTime())) throw InputRejected.one('to', 'must be a date');
  if (from.getTime() >= to.getTime()) throw InputRejected.one('to', 'must be after `from`');
  await findEndpoint(em, workspaceId, endpointId);
  return requeue(
    em,
    workspaceId,
    `endpoint_id = ? and status in ('failed', 'dead') and created_at >= ? and created_at < ? and (locked_until is null or locked_until <= ?)`,
    [endpointId, from.toISOString(), to.toISOString(), now.toISOString()],
    now,
  );
}

async function requeue(em: SqlEntityManager, workspaceId: string, where: string, params: unknown[], now: Date): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    `update webhook_delivery set status = 'pending', attempts = 0, next_attempt_at = ?, locked_until = null, updated_at = clock_timestamp()
      where workspace_id = ? and ${where} returning id`,
    [now.toISOString(), workspaceId, ...params],
  );
  const queued: QueuedDelivery[] = rows.map((r) => ({ id: String(r.id), workspaceId, runAt: now }));
  await notifyQueued(em, queued);
  return queued.length;
}
