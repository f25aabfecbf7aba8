import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../../db/orm.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import { recordAudit } from '../audit/audit-log.js';
import { emitEvent } from '../../events/emit.js';
import type { DomainEvent, Subscriber } from '../../events/handlers.js';
import { webhookEndpointDisabled } from '../../events/kernel-events.js';
import { AppSlot, attachToApp, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { toGlobalId, UUID } from '../../graphql/global-id.js';
import type { Access } from '../../permissions/access.js';
import { conditionsHold, matchesAny, type WebhookCondition } from './event-filters.js';
import { excerpt, postWebhook, type HttpAttemptResult, EXCERPT_BYTES } from './http-client.js';
import { endpointAccess, visibleEventData, type WebhookMessage } from './payload.js';
import { nextAttemptAt } from './schedule.js';
import { signatureHeaders, signingSecrets } from './signing.js';
import { decryptSecret, WEBHOOK_PREVIOUS_SECRET, WEBHOOK_SECRET } from '../encryption/index.js';
import { webhookSettingsOf, type WebhookSettings } from './settings.js';

/**
 * Delivery of webhooks, without a scheduler of its own: the fan-out subscriber records a pending `webhook_delivery`
 * per matching endpoint (in the outbox delivery's transaction); the job queue calls `attemptWebhookDelivery` for one
 * due delivery at a time (`dueDeliveries` finds them) and `disableFailingWebhookEndpoints` now and then. Every
 * function takes the time as `now`: nothing here reads the clock.
 */

/** The transaction-local setting under which the `webhook_worker` policies let the app role read every workspace's webhook rows. */
export const WEBHOOK_WORKER_SETTING = 'app.webhook_worker';

/**
 * How long a claim lasts: the request's timeout plus as much again, at least 5 s (the two short transactions around
 * the request). A sender that died mid-attempt leaves its claim behind; it expires then, and the delivery can be
 * attempted again (`recoverableDeliveries` queues that at a restart), so the margin stays proportional to the timeout
 * rather than a fixed half-minute.
 */
export function claimDurationMs(timeoutMs: number): number {
  return timeoutMs + Math.max(5_000, timeoutMs);
}
/** A delivery counts as due this much before its `next_attempt_at` (clocks of the queue and of the database differ). */
const DUE_TOLERANCE_MS = 2_000;

export type AttemptOutcomeKind = 'succeeded' | 'retry' | 'dead' | 'skipped';

export interface AttemptOutcome {
  outcome: AttemptOutcomeKind;
  /** When to attempt again (outcome `retry`). */
  retryAt?: Date;
  /** The response's status (null: no response). */
  statusCode?: number | null;
  error?: string | null;
  /** The attempt's number in the delivery log. */
  attemptNo?: number;
}

/** The deliveries to hand to the queue as they are created or queued again (fan-out, replays). */
export interface QueuedDelivery {
  id: string;
  workspaceId: string;
  runAt: Date;
}

/**
 * Called in the transaction that created or re-queued deliveries (fan-out, replays): lets a job queue enqueue one job
 * per delivery atomically with it. Optional: `dueDeliveries` finds them anyway.
 */
export type WebhookDeliveryScheduler = (em: SqlEntityManager, deliveries: QueuedDelivery[]) => Promise<void>;

const SCHEDULER_SLOT = new AppSlot<{ schedule: WebhookDeliveryScheduler | null }>('webhook delivery scheduler');

/** Sets (or with null, removes) the scheduler of the app owning `orm`. */
export function setWebhookDeliveryScheduler(orm: AppScoped, schedule: WebhookDeliveryScheduler | null): void {
  const holder = lookupInApp(orm, SCHEDULER_SLOT);
  if (holder) holder.schedule = schedule;
  else attachToApp(orm, SCHEDULER_SLOT, { schedule });
}

export async function notifyQueued(em: SqlEntityManager, deliveries: QueuedDelivery[]): Promise<void> {
  const schedule = lookupInApp(em, SCHEDULER_SLOT)?.schedule;
  if (schedule && deliveries.length) await schedule(em, deliveries);
}

const date = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));
const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

/** A text[] column as a list (the drivers return arrays; a literal `{a,b}` just in case). */
export function textArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string' && value.startsWith('{') && value.endsWith('}'))
    return value
      .slice(1, -1)
      .split(',')
      .filter(Boolean)
      .map((s) => s.replace(/^"(.*)"$/, '$1'));
  return [];
}

/** Runs `work` in a short transaction that sees every workspace's webhook rows (the `webhook_worker` policies; reads only). */
async function asWebhookWorker<T>(orm: Orm, work: (em: SqlEntityManager) => Promise<T>): Promise<T> {
  const em = orm.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
  return em.transactional(async (tx) => {
    await tx.execute(`select set_config('${WEBHOOK_WORKER_SETTING}', 'on', true)`);
    return work(tx as SqlEntityManager);
  });
}

/** What an endpoint's role may see in a workspace, looked up once per role. */
function accessByRole(em: SqlEntityManager, workspaceId: string): (role: string) => Promise<Access> {
  const byRole = new Map<string, Promise<Access>>();
  return (role) => {
    let access = byRole.get(role);
    if (!access) {
      access = endpointAccess(em, workspaceId, role);
      byRole.set(role, access);
    }
    return access;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// fan-out

interface EndpointFilterRow {
  id: string;
  event_types: unknown;
  conditions: unknown;
  role: string;
}

/**
 * Records a pending delivery of `event` for every enabled endpoint of its workspace whose patterns match its type and
 * whose conditions hold on the payload as the endpoint's role sees it. Idempotent (one delivery per endpoint and event).
 * Returns the deliveries created.
 */
export async function fanOutEvent(em: SqlEntityManager, event: DomainEvent): Promise<QueuedDelivery[]> {
  // pings go to one endpoint; so do automation steps' posts (queueDeliveryFor)
  if (event.type === 'webhook.ping' || event.type === 'automation.webhook') return [];
  const endpoints = await em.execute<EndpointFilterRow[]>(
    `select id, event_types, conditions, role from webhook_endpoint where workspace_id = ? and enabled order by created_at, id`,
    [event.workspaceId],
  );
  const accessOf = accessByRole(em, event.workspaceId);
  const chosen: string[] = [];
  for (const endpoint of endpoints) {
    if (!matchesAny(textArray(endpoint.event_types), event.type)) continue;
    const conditions = json<WebhookCondition[] | null>(endpoint.conditions) ?? [];
    if (conditions.length) {
      const data = visibleEventData(event.type, event.payload, await accessOf(endpoint.role));
      if (!conditionsHold(conditions, data)) continue;
    }
    chosen.push(endpoint.id);
  }
  if (!chosen.length) return [];
  const params = chosen.flatMap((endpointId) => [randomUUID(), event.workspaceId, endpointId, event.id, event.type]);
  const rows = await em.execute<{ id: string; next_attempt_at: unknown }[]>(
    `insert into webhook_delivery (id, workspace_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
     values ${chosen.map(() => `(?, ?, ?, ?, ?, 'pending', 0, clock_timestamp(), clock_timestamp(), clock_timestamp())`).join(', ')}
     on conflict (endpoint_id, event_id) do nothing returning id, next_attempt_at`,
    params,
  );
  const queued = rows.map((r) => ({ id: String(r.id), workspaceId: event.workspaceId, runAt: date(r.next_attempt_at) }));
  await notifyQueued(em, queued);
  return queued;
}

/** Records a pending delivery of an event (of this transaction) to one endpoint: an automation rule's `callWebhook` step. */
export async function queueDeliveryFor(
  em: SqlEntityManager,
  { workspaceId, endpointId, eventId, eventType }: { workspaceId: string; endpointId: string; eventId: string; eventType: string },
): Promise<QueuedDelivery[]> {
  const rows = await em.execute<{ id: string; next_attempt_at: unknown }[]>(
    `insert into webhook_delivery (id, workspace_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
     values (?, ?, ?, ?, ?, 'pending', 0, clock_timestamp(), clock_timestamp(), clock_timestamp())
     on conflict (endpoint_id, event_id) do nothing returning id, next_attempt_at`,
    [randomUUID(), workspaceId, endpointId, eventId, eventType],
  );
  const queued = rows.map((r) => ({ id: String(r.id), workspaceId, runAt: date(r.next_attempt_at) }));
  await notifyQueued(em, queued);
  return queued;
}

/**
 * The kernel's after subscriber that fans every domain event out to the workspace's webhook endpoints. Not marked
 * `idempotent`: a redelivery inserts nothing twice anyway (the unique endpoint × event key), without the extra
 * `processed_event` row per event that the flag would cost.
 */
export const webhookFanOutSubscriber: Subscriber & { plugin: string } = {
  plugin: 'kernel',
  name: 'webhooks',
  on: ['*'],
  async handle(event, { em }) {
    await fanOutEvent(em, event);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// one attempt

interface EndpointRow {
  id: string;
  url: string;
  enabled: boolean;
  role: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: unknown;
}

/** A claimed delivery with the request to send. */
export interface PreparedAttempt {
  deliveryId: string;
  workspaceId: string;
  endpointId: string;
  /** Attempts before this one (the schedule's position). */
  attempts: number;
  lockedUntil: Date;
  ping: boolean;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const USER_AGENT = 'crm-kernel-webhooks/1';

/**
 * Claims a due delivery (pending or failed, not in flight) for one attempt and builds its signed request; null when
 * there is nothing to attempt. A delivery of a disabled endpoint is settled as `dead` here (unless `anyEndpoint`: test pings).
 */
export async function claimDelivery(
  em: SqlEntityManager,
  workspaceId: string,
  deliveryId: string,
  now: Date,
  settings: WebhookSettings,
  options: { anyEndpoint?: boolean } = {},
): Promise<PreparedAttempt | null> {
  return (await claimDeliveries(em, workspaceId, [deliveryId], now, settings, options))[0] ?? null;
}

/** `claimDelivery` for several deliveries of one workspace, in a fixed number of statements: the claimed ones' requests. */
export async function claimDeliveries(
  em: SqlEntityManager,
  workspaceId: string,
  deliveryIds: string[],
  now: Date,
  settings: WebhookSettings,
  options: { anyEndpoint?: boolean } = {},
): Promise<PreparedAttempt[]> {
  if (!deliveryIds.length) return [];
  const lockedUntil = new Date(now.getTime() + claimDurationMs(settings.timeoutMs));
  // the claims before these, if they were never settled (their sender stopped mid-attempt): `updated_at` is their time
  const priors = await em.execute<{ id: string; locked_until: unknown; updated_at: unknown }[]>(
    `select id, locked_until, updated_at from webhook_delivery where id in (?) and workspace_id = ? order by id for update`,
    [deliveryIds, workspaceId],
  );
  const priorOf = new Map(priors.map((row) => [String(row.id), row]));
  const claimed = await em.execute<{ id: string; endpoint_id: string; event_id: string | null; event_type: string; attempts: number }[]>(
    `update webhook_delivery set locked_until = ?, updated_at = clock_timestamp()
      where id in (?) and workspace_id = ? and status in ('pending', 'failed')
        and (locked_until is null or locked_until <= ?) and (next_attempt_at is null or next_attempt_at <= ?)
      returning id, endpoint_id, event_id, event_type, attempts`,
    [lockedUntil.toISOString(), deliveryIds, workspaceId, now.toISOString(), new Date(now.getTime() + DUE_TOLERANCE_MS).toISOString()],
  );
  if (!claimed.length) return [];
  const endpoints = await em.execute<EndpointRow[]>(
    `select id, url, enabled, role, secret, previous_secret, previous_secret_expires_at from webhook_endpoint where id in (?) and workspace_id = ?`,
    [[...new Set(claimed.map((delivery) => delivery.endpoint_id))], workspaceId],
  );
  const endpointOf = new Map(endpoints.map((endpoint) => [String(endpoint.id), endpoint]));
  const live: { delivery: (typeof claimed)[number]; endpoint: EndpointRow }[] = [];
  const dead: string[] = [];
  for (const delivery of claimed) {
    const endpoint = endpointOf.get(String(delivery.endpoint_id));
    const prior = priorOf.get(String(delivery.id));
    if (prior?.locked_until != null) {
      await recordAbandonedAttempt(em, workspaceId, delivery.id, endpoint?.url ?? '', date(prior.updated_at), date(prior.locked_until));
      delivery.attempts = Number(delivery.attempts) + 1;
    }
    if (!endpoint || (!endpoint.enabled && !options.anyEndpoint)) dead.push(delivery.id);
    else live.push({ delivery, endpoint });
  }
  if (dead.length)
    await em.execute(
      `update webhook_delivery set status = 'dead', locked_until = null, next_attempt_at = null, last_error = ?, updated_at = clock_timestamp() where id in (?) and workspace_id = ?`,
      ['endpoint is disabled', dead, workspaceId],
    );
  const eventIds = [...new Set(live.flatMap(({ delivery }) => (delivery.event_id ? [delivery.event_id] : [])))];
  const events = eventIds.length
    ? await em.execute<{ id: string; type: string; payload: unknown; occurred_at: unknown }[]>(
        `select id, type, payload, occurred_at from outbox_event where id in (?) and workspace_id = ?`,
        [eventIds, workspaceId],
      )
    : [];
  const eventOf = new Map(events.map((event) => [String(event.id), event]));
  const accessOf = accessByRole(em, workspaceId);
  const prepared: PreparedAttempt[] = [];
  for (const { delivery, endpoint } of live) {
    const deliveryId = String(delivery.id);
    let message: WebhookMessage;
    if (delivery.event_id) {
      const event = eventOf.get(String(delivery.event_id));
      if (!event) continue;
      message = {
        id: String(event.id),
        type: event.type,
        timestamp: date(event.occurred_at).toISOString(),
        workspaceId,
        data: visibleEventData(event.type, json<Record<string, unknown>>(event.payload) ?? {}, await accessOf(endpoint.role)),
      };
    } else {
      message = {
        id: deliveryId,
        type: delivery.event_type,
        timestamp: now.toISOString(),
        workspaceId,
        data: { endpointId: toGlobalId('WebhookEndpoint', endpoint.id), message: 'A test ping from the CRM.' },
      };
    }
    const body = JSON.stringify(message);
    const secrets = signingSecrets(
      {
        secret: decryptSecret(em, WEBHOOK_SECRET, endpoint.id, endpoint.secret),
        previousSecret: endpoint.previous_secret && decryptSecret(em, WEBHOOK_PREVIOUS_SECRET, endpoint.id, endpoint.previous_secret),
        previousSecretExpiresAt: endpoint.previous_secret_expires_at == null ? null : date(endpoint.previous_secret_expires_at),
      },
      now,
    );
    prepared.push({
      deliveryId,
      workspaceId,
      endpointId: endpoint.id,
      attempts: Number(delivery.attempts),
      lockedUntil,
      ping: !delivery.event_id,
      url: endpoint.url,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...signatureHeaders(deliveryId, now, body, secrets),
      },
      body,
    });
  }
  return prepared;
}

/** What the log says of an attempt whose sender never recorded an outcome. */
export const ABANDONED_ATTEMPT_ERROR = 'no outcome recorded: the sender stopped (or stalled) during the attempt';

/**
 * Logs the attempt of an expired, never settled claim (its sender was killed mid-request, or stalled past the claim):
 * a failed attempt with no response at the time of that claim, duration 0 (unknown), no request headers or body
 * (not kept before the request went out). It counts in the schedule (`attempts + 1`), so a delivery that keeps
 * killing its sender still ends `dead`; the endpoint's failing state is left alone (not the receiver's doing).
 */
async function recordAbandonedAttempt(
  em: SqlEntityManager,
  workspaceId: string,
  deliveryId: string,
  url: string,
  claimedAt: Date,
  expiredAt: Date,
): Promise<void> {
  const error = `${ABANDONED_ATTEMPT_ERROR} (its claim expired at ${expiredAt.toISOString()}); the receiver may have got the request`;
  await em.execute(
    `insert into webhook_attempt (id, workspace_id, delivery_id, attempt_no, attempted_at, url, request_headers, request_body, response_status, response_body, duration_ms, error)
     select ?, ?, ?, coalesce(max(attempt_no), 0) + 1, ?, ?, cast('{}' as jsonb), '', null, null, 0, ?
       from webhook_attempt where delivery_id = ? and workspace_id = ?`,
    [randomUUID(), workspaceId, deliveryId, claimedAt.toISOString(), url, error, deliveryId, workspaceId],
  );
  await em.execute(
    `update webhook_delivery set attempts = attempts + 1, last_attempt_at = ?, last_status_code = null, last_error = ? where id = ? and workspace_id = ?`,
    [claimedAt.toISOString(), error, deliveryId, workspaceId],
  );
}

export function sendAttempt(prepared: PreparedAttempt, settings: WebhookSettings): Promise<HttpAttemptResult> {
  return postWebhook(prepared.url, prepared.headers, prepared.body, settings);
}

const succeededStatus = (status: number | null) => status !== null && status >= 200 && status < 300;

/**
 * Records the attempt in the log and settles the delivery: `succeeded`; or `failed` with the next attempt from the
 * schedule (Retry-After honoured); or `dead` when the schedule is exhausted (test pings: at once). The endpoint's
 * failing state follows (`failing_since` set by the first failure, cleared by a success; pings leave it alone).
 */
export async function recordAttempt(
  em: SqlEntityManager,
  prepared: PreparedAttempt,
  result: HttpAttemptResult,
  now: Date,
): Promise<AttemptOutcome> {
  return (await recordAttempts(em, [{ prepared, result }], now))[0]!;
}

/**
 * `recordAttempt` for several attempts of one workspace (each delivery once), in a fixed number of statements;
 * the outcomes in the order given. An endpoint with a success among them ends not failing.
 */
export async function recordAttempts(
  em: SqlEntityManager,
  attempts: { prepared: PreparedAttempt; result: HttpAttemptResult }[],
  now: Date,
): Promise<AttemptOutcome[]> {
  if (!attempts.length) return [];
  const workspaceId = attempts[0]!.prepared.workspaceId;
  const ids = attempts.map(({ prepared }) => prepared.deliveryId);
  const numbered = await em.execute<{ delivery_id: string; n: number }[]>(
    `select delivery_id, max(attempt_no) as n from webhook_attempt where delivery_id in (?) and workspace_id = ? group by delivery_id`,
    [ids, workspaceId],
  );
  const lastNumber = new Map(numbered.map((row) => [String(row.delivery_id), Number(row.n)]));
  const settlements = attempts.map(({ prepared, result }) => {
    const succeeded = succeededStatus(result.status);
    const attempts = prepared.attempts + 1;
    const retryAt = succeeded || prepared.ping ? null : nextAttemptAt(attempts, now, result.retryAfter);
    return {
      prepared,
      result,
      succeeded,
      attempts,
      retryAt,
      attemptNo: (lastNumber.get(prepared.deliveryId) ?? 0) + 1,
      status: succeeded ? 'succeeded' : retryAt ? 'failed' : 'dead',
      lastError: succeeded ? null : (result.error ?? (result.status !== null ? `HTTP ${result.status}` : 'failed')),
    };
  });
  await em.execute(
    `insert into webhook_attempt (id, workspace_id, delivery_id, attempt_no, attempted_at, url, request_headers, request_body, response_status, response_body, duration_ms, error)
     values ${settlements.map(() => '(?, ?, ?, ?, ?, ?, cast(? as jsonb), ?, ?, ?, ?, ?)').join(', ')}`,
    settlements.flatMap(({ prepared, result, attemptNo }) => [
      randomUUID(),
      workspaceId,
      prepared.deliveryId,
      attemptNo,
      now.toISOString(),
      prepared.url,
      JSON.stringify(prepared.headers),
      excerpt(prepared.body, EXCERPT_BYTES),
      result.status,
      result.body,
      result.durationMs,
      result.error,
    ]),
  );
  // replayed (or re-claimed after the claim expired) meanwhile: the newer claim settles it
  const settled = await em.execute<{ id: string }[]>(
    `update webhook_delivery d set status = s.status, attempts = s.attempts, next_attempt_at = s.next_attempt_at, locked_until = null,
            last_attempt_at = ?, last_status_code = s.status_code, last_error = s.last_error, updated_at = clock_timestamp()
       from (values ${settlements
         .map(() => '(cast(? as uuid), ?, cast(? as integer), cast(? as timestamptz), cast(? as integer), ?, cast(? as timestamptz))')
         .join(', ')}) as s (id, status, attempts, next_attempt_at, status_code, last_error, locked_until)
      where d.id = s.id and d.workspace_id = ? and d.locked_until = s.locked_until
      returning d.id`,
    [
      now.toISOString(),
      ...settlements.flatMap(({ prepared, result, status, attempts, retryAt, lastError }) => [
        prepared.deliveryId,
        status,
        attempts,
        retryAt?.toISOString() ?? null,
        result.status,
        lastError,
        prepared.lockedUntil.toISOString(),
      ]),
      workspaceId,
    ],
  );
  const settledIds = new Set(settled.map((row) => String(row.id)));
  const counted = settlements.filter(({ prepared }) => settledIds.has(prepared.deliveryId) && !prepared.ping);
  const failing = [...new Set(counted.filter((s) => !s.succeeded).map((s) => s.prepared.endpointId))];
  const recovered = [...new Set(counted.filter((s) => s.succeeded).map((s) => s.prepared.endpointId))];
  if (failing.length)
    await em.execute(`update webhook_endpoint set failing_since = ? where id in (?) and workspace_id = ? and failing_since is null`, [
      now.toISOString(),
      failing,
      workspaceId,
    ]);
  if (recovered.length)
    await em.execute(
      `update webhook_endpoint set failing_since = null where id in (?) and workspace_id = ? and failing_since is not null`,
      [recovered, workspaceId],
    );
  return settlements.map(({ prepared, result, succeeded, retryAt, lastError, attemptNo }) => {
    const base = { statusCode: result.status, error: lastError, attemptNo };
    if (!settledIds.has(prepared.deliveryId)) return { outcome: 'skipped', ...base };
    if (succeeded) return { outcome: 'succeeded', ...base };
    return retryAt ? { outcome: 'retry', retryAt, ...base } : { outcome: 'dead', ...base };
  });
}

/**
 * One HTTP attempt of a delivery, for the job queue: claims it (skipped when it is not due, in flight, settled or
 * gone), posts the signed payload with the fields the endpoint's role may see, records the attempt, settles the
 * delivery and the endpoint's failing state. `retryAt` tells when to call again (outcome `retry`). The request goes
 * out between two short transactions, never inside one.
 */
export async function attemptWebhookDelivery(
  orm: Orm,
  deliveryId: string,
  now: Date,
  overrides: Partial<WebhookSettings> = {},
): Promise<AttemptOutcome> {
  return (await attemptWebhookDeliveries(orm, [deliveryId], now, overrides)).get(deliveryId) ?? { outcome: 'skipped' };
}

/**
 * `attemptWebhookDelivery` for a batch of deliveries (a queue worker's fetch): per workspace one claim transaction
 * and one record transaction, the requests side by side between them. Outcomes by delivery id; an id that is not a
 * delivery is `skipped`.
 */
export async function attemptWebhookDeliveries(
  orm: Orm,
  deliveryIds: string[],
  now: Date,
  overrides: Partial<WebhookSettings> = {},
): Promise<Map<string, AttemptOutcome>> {
  const outcomes = new Map<string, AttemptOutcome>();
  const ids = [...new Set(deliveryIds.filter((id) => typeof id === 'string' && UUID.test(id)))];
  for (const id of deliveryIds) outcomes.set(id, { outcome: 'skipped' });
  if (!ids.length) return outcomes;
  const settings = { ...webhookSettingsOf(orm), ...overrides };
  const rows = await asWebhookWorker(orm, (em) =>
    em.execute<{ id: string; workspace_id: string }[]>(`select id, workspace_id from webhook_delivery where id in (?)`, [ids]),
  );
  const byWorkspace = new Map<string, string[]>();
  for (const row of rows) byWorkspace.set(String(row.workspace_id), [...(byWorkspace.get(String(row.workspace_id)) ?? []), String(row.id)]);
  await Promise.all(
    [...byWorkspace].map(async ([workspaceId, ids]) => {
      const prepared = await withWorkspace(orm, workspaceId, (em) => claimDeliveries(em, workspaceId, ids, now, settings));
      if (!prepared.length) return;
      const results = await Promise.all(prepared.map((attempt) => sendAttempt(attempt, settings)));
      const recorded = await withWorkspace(orm, workspaceId, (em) =>
        recordAttempts(
          em,
          prepared.map((attempt, i) => ({ prepared: attempt, result: results[i]! })),
          now,
        ),
      );
      for (const [i, attempt] of prepared.entries()) outcomes.set(attempt.deliveryId, recorded[i]!);
    }),
  );
  return outcomes;
}

/** Claim, send and record on one entity manager (a request's transaction: test pings). */
export async function attemptInTransaction(
  em: SqlEntityManager,
  workspaceId: string,
  deliveryId: string,
  now: Date,
  settings: WebhookSettings,
): Promise<AttemptOutcome> {
  const prepared = await claimDelivery(em, workspaceId, deliveryId, now, settings, { anyEndpoint: true });
  if (!prepared) return { outcome: 'skipped' };
  return recordAttempt(em, prepared, await sendAttempt(prepared, settings), now);
}

/** Deliveries due at `now` (pending or failed, not in flight), oldest due first, across every workspace. */
export async function dueDeliveries(orm: Orm, now: Date, limit = 100): Promise<QueuedDelivery[]> {
  const rows = await asWebhookWorker(orm, (em) =>
    em.execute<{ id: string; workspace_id: string; next_attempt_at: unknown }[]>(
      `select id, workspace_id, next_attempt_at from webhook_delivery
        where status in ('pending', 'failed') and next_attempt_at <= ? and (locked_until is null or locked_until <= ?)
        order by next_attempt_at, id limit ?`,
      [now.toISOString(), now.toISOString(), Math.max(0, Math.min(10_000, Math.floor(limit)))],
    ),
  );
  return rows.map((r) => ({ id: String(r.id), workspaceId: String(r.workspace_id), runAt: date(r.next_attempt_at) }));
}

/**
 * What a stopped process may have left behind, for a (re)starting worker to queue, across every workspace: the
 * deliveries due at `now` (as `dueDeliveries`), and those in flight (a claim held: its sender may be dead) with
 * `runAt` just after the claim expires (plus the due tolerance: the queue's and the database's clocks differ). A
 * live sender's delivery is settled by then, and the attempt skips it. Oldest first, at most `limit`.
 */
export async function recoverableDeliveries(orm: Orm, now: Date, limit = 1000): Promise<QueuedDelivery[]> {
  const rows = await asWebhookWorker(orm, (em) =>
    em.execute<{ id: string; workspace_id: string; next_attempt_at: unknown; locked_until: unknown }[]>(
      `select id, workspace_id, next_attempt_at, locked_until from webhook_delivery
        where status in ('pending', 'failed')
          and ((locked_until is not null and locked_until > ?) or next_attempt_at is null or next_attempt_at <= ?)
        order by coalesce(next_attempt_at, created_at), id limit ?`,
      [now.toISOString(), now.toISOString(), Math.max(0, Math.min(10_000, Math.floor(limit)))],
    ),
  );
  return rows.map((r) => {
    const lockedUntil = r.locked_until == null ? null : date(r.locked_until);
    const held = lockedUntil !== null && lockedUntil.getTime() > now.getTime();
    return {
      id: String(r.id),
      workspaceId: String(r.workspace_id),
      runAt: held ? new Date(lockedUntil.getTime() + DUE_TOLERANCE_MS) : now,
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// auto-disable

export interface DisabledEndpoint {
  id: string;
  workspaceId: string;
  url: string;
  failingSince: Date;
}

/**
 * Disables every enabled endpoint that has been failing (no success since its first failed attempt) for `days` days
 * at `now`, each in its workspace's transaction with an audit entry and a `webhook.endpointDisabled` domain event
 * (for notifications). Returns the endpoints disabled.
 */
export async function disableFailingWebhookEndpoints(
  orm: Orm,
  now: Date,
  days = webhookSettingsOf(orm).disableAfterDays,
): Promise<DisabledEndpoint[]> {
  const cutoff = new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
  const candidates = await asWebhookWorker(orm, (em) =>
    em.execute<{ id: string; workspace_id: string; failing_since: unknown }[]>(
      `select id, workspace_id, failing_since from webhook_endpoint where enabled and failing_since is not null and failing_since <= ? order by failing_since, id`,
      [cutoff.toISOString()],
    ),
  );
  const disabled: DisabledEndpoint[] = [];
  for (const candidate of candidates) {
    const workspaceId = String(candidate.workspace_id);
    const failingSince = date(candidate.failing_since);
    const message = `every delivery failed for ${days} days (since ${failingSince.toISOString()})`;
    const done = await withWorkspace(orm, workspaceId, async (em) => {
      const [row] = await em.execute<{ id: string; url: string }[]>(
        `update webhook_endpoint set enabled = false, disabled_at = ?, disabled_reason = ?, updated_at = clock_timestamp()
          where id = ? and workspace_id = ? and enabled and failing_since is not null and failing_since <= ?
          returning id, url`,
        [now.toISOString(), message, candidate.id, workspaceId, cutoff.toISOString()],
      );
      if (!row) return null;
      await recordAudit(em, {
        workspaceId,
        actorUserId: null,
        actorApiKeyId: null,
        action: 'webhookEndpoint.disabled',
        objectType: 'WebhookEndpoint',
        objectId: String(row.id),
        changes: { enabled: { before: true, after: false } },
        metadata: { reason: message, failingSince: failingSince.toISOString() },
      });
      await emitEvent(
        em,
        webhookEndpointDisabled,
        { id: String(row.id), url: row.url, failingSince: failingSince.toISOString(), disabledAt: now.toISOString(), reason: message },
        { workspaceId },
      );
      return { id: String(row.id), workspaceId, url: row.url, failingSince };
    });
    if (done) disabled.push(done);
  }
  return disabled;
}
