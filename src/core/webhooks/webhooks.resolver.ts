import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { InputRejected } from '../../graphql/errors.js';
import { expectGlobalId, parseGlobalId, toGlobalId, UUID } from '../../graphql/global-id.js';
import { keysetPage } from '../../graphql/keyset-page.js';
import { ConnectionArgs, pageRequest, toConnection } from '../../graphql/relay.js';
import { likeEscape, Sql, sql } from '../../db/sql.js';
import { lookupInApp } from '../../registries/app-slot.js';
import { recordAuditAs } from '../audit/audit-log.js';
import { DeletePayload } from '../shared/delete-payload.js';
import { runMutation } from '../shared/mutation.js';
import { patternProblem } from './event-filters.js';
import { textArray } from './delivery.js';
import { WEBHOOK_SETTINGS_SLOT, webhookSettingsFrom, type WebhookSettings } from './settings.js';
import { WebhookEndpoint } from './webhook.entities.js';
import {
  createEndpoint,
  findEndpoint,
  pingEndpoint,
  replayDelivery,
  replayFailed,
  rotateSecret,
  updateEndpoint,
} from './webhooks.service.js';
import {
  CreateWebhookEndpointInput,
  CreateWebhookEndpointPayload,
  ReplayWebhookDeliveriesPayload,
  RotateWebhookSecretPayload,
  TestWebhookEndpointPayload,
  UpdateWebhookEndpointInput,
  WebhookAttemptNode,
  WebhookDeliveryConnection,
  WebhookDeliveryFilter,
  WebhookDeliveryNode,
  WebhookDeliveryPayload,
  WebhookDeliveryStatus,
  WebhookEndpointConnection,
  WebhookEndpointNode,
  WebhookEndpointPayload,
} from './webhooks.types.js';

const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));
const dateOrNull = (v: unknown) => (v == null ? null : date(v));
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** The app's webhook settings (createApp attaches them; else from the request's configuration). */
function settingsOf(ctx: RequestContext): WebhookSettings {
  return lookupInApp(ctx.orm, WEBHOOK_SETTINGS_SLOT) ?? webhookSettingsFrom(ctx.config);
}

export function toEndpointNode(e: WebhookEndpoint | Record<string, unknown>): WebhookEndpointNode {
  const node = new WebhookEndpointNode();
  if (e instanceof WebhookEndpoint) {
    Object.assign(node, {
      rawId: e.id,
      id: toGlobalId('WebhookEndpoint', e.id),
      url: e.url,
      description: e.description ?? null,
      eventTypes: e.eventTypes,
      conditions: e.conditions ?? [],
      enabled: e.enabled,
      role: e.role,
      previousSecretExpiresAt: e.previousSecret ? (e.previousSecretExpiresAt ?? null) : null,
      failingSince: e.failingSince ?? null,
      disabledAt: e.disabledAt ?? null,
      disabledReason: e.disabledReason ?? null,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
    });
    return node;
  }
  Object.assign(node, {
    rawId: String(e.id),
    id: toGlobalId('WebhookEndpoint', String(e.id)),
    url: e.url,
    description: e.description ?? null,
    eventTypes: textArray(e.event_types),
    conditions: json(e.conditions) ?? [],
    enabled: Boolean(e.enabled),
    role: e.role,
    previousSecretExpiresAt: e.previous_secret ? dateOrNull(e.previous_secret_expires_at) : null,
    failingSince: dateOrNull(e.failing_since),
    disabledAt: dateOrNull(e.disabled_at),
    disabledReason: e.disabled_reason ?? null,
    createdAt: date(e.created_at),
    updatedAt: date(e.updated_at),
  });
  return node;
}

const ENDPOINT_COLUMNS =
  'e.id, e.url, e.description, e.event_types, e.conditions, e.enabled, e.role, e.previous_secret is not null as previous_secret, e.previous_secret_expires_at, e.failing_since, e.disabled_at, e.disabled_reason, e.created_at, e.updated_at';

const DELIVERY_COLUMNS =
  'd.id, d.endpoint_id, d.event_id, d.event_type, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error, d.created_at';

function toDeliveryNode(row: Record<string, unknown>): WebhookDeliveryNode {
  return Object.assign(new WebhookDeliveryNode(), {
    rawId: String(row.id),
    id: toGlobalId('WebhookDelivery', String(row.id)),
    endpointId: toGlobalId('WebhookEndpoint', String(row.endpoint_id)),
    eventId: row.event_id == null ? null : String(row.event_id),
    eventType: String(row.event_type),
    status: String(row.status) as WebhookDeliveryStatus,
    attemptCount: Number(row.attempts),
    nextAttemptAt: dateOrNull(row.next_attempt_at),
    lastAttemptAt: dateOrNull(row.last_attempt_at),
    lastStatusCode: row.last_status_code == null ? null : Number(row.last_status_code),
    lastError: (row.last_error as string | null) ?? null,
    createdAt: date(row.created_at),
  });
}

async function deliveryById(em: SqlEntityManager, workspaceId: string, id: string): Promise<WebhookDeliveryNode | null> {
  const [row] = await em.execute<Record<string, unknown>[]>(
    `select ${DELIVERY_COLUMNS} from webhook_delivery d where d.id = ? and d.workspace_id = ?`,
    [id, workspaceId],
  );
  return row ? toDeliveryNode(row) : null;
}

/** The conditions of a delivery list (always within the workspace). */
function deliveryConditions(workspaceId: string, filter: WebhookDeliveryFilter | null | undefined, endpointId: string | null): Sql[] {
  const where: Sql[] = [sql`d.workspace_id = ${workspaceId}`];
  if (endpointId) where.push(sql`d.endpoint_id = ${endpointId}`);
  if (!filter) return where;
  if (filter.status?.length)
    where.push(
      sql`d.status in (${Sql.join(
        filter.status.map((s) => sql`${s}`),
        ', ',
      )})`,
    );
  if (filter.eventTypes?.length) {
    if (filter.eventTypes.length > 50) throw InputRejected.one('filter.eventTypes', 'at most 50 types');
    const parts = filter.eventTypes.map((type, i) => {
      const problem = patternProblem(type);
      if (problem) throw InputRejected.one(['filter', 'eventTypes', String(i)], problem);
      return type.includes('*') ? sql`d.event_type like ${likeEscape(type).replace(/\*/g, '%')}` : sql`d.event_type = ${type}`;
    });
    where.push(Sql.or(parts));
  }
  if (filter.eventId) {
    const raw = filter.eventId.trim();
    const id = UUID.test(raw) ? raw.toLowerCase() : parseGlobalId(raw)?.id;
    if (!id) throw InputRejected.one('filter.eventId', 'is not a valid event id');
    where.push(sql`d.event_id = ${id}`);
  }
  return where;
}

async function deliveryPage(ctx: RequestContext, page: ConnectionArgs, where: Sql[]) {
  const result = await keysetPage(
    ctx.em,
    {
      from: 'webhook_delivery d',
      select: DELIVERY_COLUMNS,
      where: Sql.and(where),
      orderBy: [{ expr: 'd.created_at', direction: 'DESC', nullable: false }],
      idExpr: 'd.id',
    },
    pageRequest(page),
    toDeliveryNode,
  );
  return toConnection(result);
}

@Resolver(() => WebhookEndpointNode)
export class WebhookEndpointResolver {
  @Query(() => WebhookEndpointConnection, { description: 'The workspace’s webhook endpoints, newest first. Needs `webhook:manage`.' })
  async webhookEndpoints(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    const result = await keysetPage(
      ctx.em,
      {
        from: 'webhook_endpoint e',
        select: ENDPOINT_COLUMNS,
        where: sql`e.workspace_id = ${workspaceOf(ctx)}`,
        orderBy: [{ expr: 'e.created_at', direction: 'DESC', nullable: false }],
        idExpr: 'e.id',
      },
      pageRequest(page),
      toEndpointNode,
    );
    return toConnection(result);
  }

  @Query(() => WebhookEndpointNode, {
    nullable: true,
    description: 'One webhook endpoint (null when there is none with this id). Needs `webhook:manage`.',
  })
  async webhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    const workspaceId = workspaceOf(ctx);
    const parsed = parseGlobalId(id);
    if (parsed?.type !== 'WebhookEndpoint') return null;
    const [row] = await ctx.em.execute<Record<string, unknown>[]>(
      `select ${ENDPOINT_COLUMNS} from webhook_endpoint e where e.id = ? and e.workspace_id = ?`,
      [parsed.id, workspaceId],
    );
    return row ? toEndpointNode(row) : null;
  }

  @Query(() => WebhookDeliveryConnection, {
    description:
      'Webhook deliveries of the workspace, newest first: of one endpoint, one event (`filter.eventId`), a status… Needs `webhook:manage`.',
  })
  webhookDeliveries(
    @Args() page: ConnectionArgs,
    @Arg('endpointId', () => ID, { nullable: true }) endpointId: string | null,
    @Arg('filter', () => WebhookDeliveryFilter, { nullable: true }) filter: WebhookDeliveryFilter | null,
    @Ctx() ctx: RequestContext,
  ) {
    const endpoint = endpointId ? expectGlobalId(endpointId, 'WebhookEndpoint', 'endpointId') : null;
    return deliveryPage(ctx, page, deliveryConditions(workspaceOf(ctx), filter, endpoint));
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: 'The endpoint’s deliveries, newest first.' })
  deliveries(
    @Root() endpoint: WebhookEndpointNode,
    @Args() page: ConnectionArgs,
    @Arg('filter', () => WebhookDeliveryFilter, { nullable: true }) filter: WebhookDeliveryFilter | null,
    @Ctx() ctx: RequestContext,
  ) {
    return deliveryPage(ctx, page, deliveryConditions(workspaceOf(ctx), filter, endpoint.rawId));
  }

  @Mutation(() => CreateWebhookEndpointPayload, {
    description: 'Creates an endpoint; its signing secret is returned this once. Needs `webhook:manage`.',
  })
  createWebhookEndpoint(@Arg('input', () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      workspaceOf(ctx);
      const { endpoint, secret } = await createEndpoint(tx.em, tx.principal, input, settingsOf(ctx));
      return { endpoint: toEndpointNode(endpoint), secret };
    });
  }

  @Mutation(() => WebhookEndpointPayload, { description: 'Changes an endpoint (only the fields given). Needs `webhook:manage`.' })
  updateWebhookEndpoint(@Arg('input', () => UpdateWebhookEndpointInput) input: UpdateWebhookEndpointInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      workspaceOf(ctx);
      const id = expectGlobalId(input.id, 'WebhookEndpoint', 'id');
      const { id: _id, ...fields } = input;
      const conditions = fields.conditions === null ? [] : fields.conditions;
      const endpoint = await updateEndpoint(tx.em, tx.principal, id, { ...fields, conditions }, settingsOf(ctx));
      return { endpoint: toEndpointNode(endpoint) };
    });
  }

  @Mutation(() => DeletePayload, { description: 'Deletes an endpoint with its deliveries and their log. Needs `webhook:manage`.' })
  deleteWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const endpoint = await findEndpoint(tx.em, workspaceOf(ctx), expectGlobalId(id, 'WebhookEndpoint', 'id'));
      tx.em.remove(endpoint);
      await tx.em.flush();
      return { deletedId: id };
    });
  }

  @Mutation(() => RotateWebhookSecretPayload, {
    description:
      'Gives the endpoint a new signing secret (returned this once); the previous one keeps signing for `overlapHours` (default 24, at most 168; 0: not at all). Needs `webhook:manage`.',
  })
  rotateWebhookSecret(
    @Arg('id', () => ID) id: string,
    @Arg('overlapHours', () => Int, { defaultValue: 24 }) overlapHours: number,
    @Ctx() ctx: RequestContext,
  ) {
    return runMutation(ctx, async (tx) => {
      const endpointId = expectGlobalId(id, 'WebhookEndpoint', 'id');
      const { endpoint, secret } = await rotateSecret(tx.em, workspaceOf(ctx), endpointId, overlapHours, new Date());
      await recordAuditAs(tx, {
        action: 'webhookEndpoint.secretRotated',
        objectType: 'WebhookEndpoint',
        objectId: endpointId,
        metadata: { overlapHours },
      });
      return { endpoint: toEndpointNode(endpoint), secret };
    });
  }

  @Mutation(() => TestWebhookEndpointPayload, {
    description:
      'Sends a `webhook.ping` to the endpoint now (even when disabled; never retried) and returns the result. Needs `webhook:manage`.',
  })
  testWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const workspaceId = workspaceOf(ctx);
      const endpointId = expectGlobalId(id, 'WebhookEndpoint', 'id');
      const { deliveryId, outcome } = await pingEndpoint(tx.em, workspaceId, endpointId, new Date(), settingsOf(ctx));
      return {
        delivery: await deliveryById(tx.em, workspaceId, deliveryId),
        succeeded: outcome.outcome === 'succeeded',
        statusCode: outcome.statusCode ?? null,
        error: outcome.error ?? null,
      };
    });
  }

  @Mutation(() => WebhookDeliveryPayload, { description: 'Queues one delivery again (attempts start over). Needs `webhook:manage`.' })
  replayWebhookDelivery(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const workspaceId = workspaceOf(ctx);
      const deliveryId = expectGlobalId(id, 'WebhookDelivery', 'id');
      await replayDelivery(tx.em, workspaceId, deliveryId, new Date());
      await recordAuditAs(tx, { action: 'webhookDelivery.replayed', objectType: 'WebhookDelivery', objectId: deliveryId });
      return { delivery: await deliveryById(tx.em, workspaceId, deliveryId) };
    });
  }

  @Mutation(() => ReplayWebhookDeliveriesPayload, {
    description: 'Queues again every failed or dead delivery of the endpoint created in [from, to). Needs `webhook:manage`.',
  })
  replayFailedWebhookDeliveries(
    @Arg('endpointId', () => ID) endpointId: string,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() ctx: RequestContext,
  ) {
    return runMutation(ctx, async (tx) => {
      const workspaceId = workspaceOf(ctx);
      const id = expectGlobalId(endpointId, 'WebhookEndpoint', 'endpointId');
      const replayedCount = await replayFailed(tx.em, workspaceId, id, from, to, new Date());
      await recordAuditAs(tx, {
        action: 'webhookEndpoint.deliveriesReplayed',
        objectType: 'WebhookEndpoint',
        objectId: id,
        metadata: { from: from.toISOString(), to: to.toISOString(), count: replayedCount },
      });
      return { replayedCount };
    });
  }
}

@Resolver(() => WebhookDeliveryNode)
export class WebhookDeliveryResolver {
  @FieldResolver(() => [WebhookAttemptNode], { description: 'The delivery’s attempts, oldest first.' })
  attempts(@Root() delivery: WebhookDeliveryNode, @Ctx() ctx: RequestContext) {
    return ctx.loaders
      .get<string, WebhookAttemptNode[]>('webhook.attempts', async (ids, c) => {
        const rows = await c.em.execute<Record<string, unknown>[]>(
          `select id, delivery_id, attempt_no, attempted_at, url, request_headers, request_body, response_status, response_body, duration_ms, error
             from webhook_attempt where workspace_id = ? and delivery_id in (${ids.map(() => '?').join(', ')}) order by attempt_no`,
          [workspaceOf(c), ...ids],
        );
        const byDelivery = new Map<string, WebhookAttemptNode[]>();
        for (const row of rows) {
          const node = Object.assign(new WebhookAttemptNode(), {
            id: toGlobalId('WebhookAttempt', String(row.id)),
            attemptNo: Number(row.attempt_no),
            attemptedAt: date(row.attempted_at),
            url: String(row.url),
            requestHeaders: json(row.request_headers),
            requestBody: String(row.request_body),
            responseStatus: row.response_status == null ? null : Number(row.response_status),
            responseBody: (row.response_body as string | null) ?? null,
            durationMs: Number(row.duration_ms),
            error: (row.error as string | null) ?? null,
          });
          const list = byDelivery.get(String(row.delivery_id)) ?? [];
          list.push(node);
          byDelivery.set(String(row.delivery_id), list);
        }
        return ids.map((id) => byDelivery.get(id) ?? []);
      })
      .load(delivery.rawId);
  }
}

export const webhookResolvers = [WebhookEndpointResolver, WebhookDeliveryResolver] as const;
