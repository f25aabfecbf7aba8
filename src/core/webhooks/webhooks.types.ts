import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { UserError } from '../../graphql/errors.js';
import { Connection } from '../../graphql/relay.js';

export enum WebhookDeliveryStatus {
  PENDING = 'pending',
  FAILED = 'failed',
  SUCCEEDED = 'succeeded',
  DEAD = 'dead',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING: not tried yet (or queued again); FAILED: the last attempt failed, retried at `nextAttemptAt`; DEAD: given up.',
});

@ObjectType('WebhookCondition', {
  description: 'The value at `field` (a dot path into the payload’s `data`) equals (or, for a list, contains) `equals`.',
})
export class WebhookConditionNode {
  @Field() field!: string;
  @Field(() => GraphQLJSON, { nullable: true }) equals!: unknown;
}

@ObjectType('WebhookEndpoint', {
  description: 'Where the workspace’s domain events are posted, signed (Standard Webhooks). Needs `webhook:manage`.',
})
export class WebhookEndpointNode {
  /** The raw uuid (not in the schema). */
  rawId!: string;

  @Field(() => ID) id!: string;
  @Field() url!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => [String], { description: 'Event type patterns: `contact.created`, `contact.*`, `*.created`, `*`.' }) eventTypes!: string[];
  @Field(() => [WebhookConditionNode], { description: 'All must hold for an event to be sent.' }) conditions!: WebhookConditionNode[];
  @Field() enabled!: boolean;
  @Field({ description: 'The role whose field allowlist shapes the payloads (built-in key or custom role id).' }) role!: string;
  @Field(() => Date, { nullable: true, description: 'Until then the previous secret signs too (a rotation’s overlap).' })
  previousSecretExpiresAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'The first failed attempt since the last success; null when healthy.' })
  failingSince!: Date | null;
  @Field(() => Date, { nullable: true }) disabledAt!: Date | null;
  @Field(() => String, { nullable: true }) disabledReason!: string | null;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

@ObjectType('WebhookAttempt', { description: 'One HTTP attempt of a delivery.' })
export class WebhookAttemptNode {
  @Field(() => ID) id!: string;
  @Field(() => Int, { description: 'Counts on across replays of the delivery.' }) attemptNo!: number;
  @Field() attemptedAt!: Date;
  @Field() url!: string;
  @Field(() => GraphQLJSON) requestHeaders!: Record<string, string>;
  @Field({ description: 'The first 2 KB of the request body.' }) requestBody!: string;
  @Field(() => Int, { nullable: true, description: 'Null when no response came.' }) responseStatus!: number | null;
  @Field(() => String, { nullable: true, description: 'The first 2 KB of the response body.' }) responseBody!: string | null;
  @Field(() => Int) durationMs!: number;
  @Field(() => String, { nullable: true }) error!: string | null;
}

@ObjectType('WebhookDelivery', { description: 'One event (or a test ping) to one endpoint, with its attempts.' })
export class WebhookDeliveryNode {
  rawId!: string;

  @Field(() => ID) id!: string;
  @Field(() => ID) endpointId!: string;
  @Field(() => ID, { nullable: true, description: 'The domain event’s id (null for a test ping).' }) eventId!: string | null;
  @Field() eventType!: string;
  @Field(() => WebhookDeliveryStatus) status!: WebhookDeliveryStatus;
  @Field(() => Int, { description: 'Attempts since it was (re)queued: the position in the retry schedule.' }) attemptCount!: number;
  @Field(() => Date, { nullable: true }) nextAttemptAt!: Date | null;
  @Field(() => Date, { nullable: true }) lastAttemptAt!: Date | null;
  @Field(() => Int, { nullable: true }) lastStatusCode!: number | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field() createdAt!: Date;
}

export const WebhookEndpointConnection = Connection(WebhookEndpointNode, 'WebhookEndpoint');
export const WebhookDeliveryConnection = Connection(WebhookDeliveryNode, 'WebhookDelivery');

@InputType()
export class WebhookConditionInput {
  @Field({ description: 'A dot path into the payload’s `data`, e.g. `contact.lifecycleStage`.' }) field!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: 'A string, number, boolean or null.' }) equals?: unknown;
}

@InputType()
export class CreateWebhookEndpointInput {
  @Field({ description: 'http(s); private, loopback and link-local targets are refused unless WEBHOOK_ALLOWED_HOSTS allows them.' })
  url!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [String]) eventTypes!: string[];
  @Field(() => [WebhookConditionInput], { nullable: true }) conditions?: WebhookConditionInput[] | null;
  @Field(() => Boolean, { nullable: true, defaultValue: true }) enabled?: boolean | null;
  @Field(() => String, { nullable: true, description: 'Default: ADMIN. A built-in key or a custom role’s id.' }) role?: string | null;
}

@InputType()
export class UpdateWebhookEndpointInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) url?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [String], { nullable: true }) eventTypes?: string[] | null;
  @Field(() => [WebhookConditionInput], { nullable: true, description: 'Null or [] removes them.' }) conditions?:
    | WebhookConditionInput[]
    | null;
  @Field(() => Boolean, { nullable: true, description: 'true again after an automatic disable resets the failing state.' })
  enabled?: boolean | null;
  @Field(() => String, { nullable: true }) role?: string | null;
}

@InputType()
export class WebhookDeliveryFilter {
  @Field(() => [WebhookDeliveryStatus], { nullable: true }) status?: WebhookDeliveryStatus[] | null;
  @Field(() => [String], { nullable: true, description: 'Event types or patterns (`contact.*`).' }) eventTypes?: string[] | null;
  @Field(() => ID, { nullable: true, description: 'The deliveries of one domain event.' }) eventId?: string | null;
}

@ObjectType()
export class CreateWebhookEndpointPayload {
  @Field(() => WebhookEndpointNode, { nullable: true }) endpoint?: WebhookEndpointNode | null;
  @Field(() => String, { nullable: true, description: 'The signing secret (`whsec_…`), shown this once.' }) secret?: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class WebhookEndpointPayload {
  @Field(() => WebhookEndpointNode, { nullable: true }) endpoint?: WebhookEndpointNode | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class RotateWebhookSecretPayload {
  @Field(() => WebhookEndpointNode, { nullable: true }) endpoint?: WebhookEndpointNode | null;
  @Field(() => String, { nullable: true, description: 'The new signing secret, shown this once.' }) secret?: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class TestWebhookEndpointPayload {
  @Field(() => WebhookDeliveryNode, { nullable: true, description: 'The ping’s delivery with its attempt.' })
  delivery?: WebhookDeliveryNode | null;
  @Field(() => Boolean, { nullable: true, description: 'Whether the endpoint answered 2xx.' }) succeeded?: boolean | null;
  @Field(() => Int, { nullable: true }) statusCode?: number | null;
  @Field(() => String, { nullable: true }) error?: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class WebhookDeliveryPayload {
  @Field(() => WebhookDeliveryNode, { nullable: true }) delivery?: WebhookDeliveryNode | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class ReplayWebhookDeliveriesPayload {
  @Field(() => Int, { nullable: true, description: 'Deliveries queued again.' }) replayedCount?: number | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
