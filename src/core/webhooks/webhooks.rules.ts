import { allow } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { requires } from '../../graphql/shield/rules.js';

const manage = requires('webhook:manage');

/** Who may manage webhook endpoints and see their deliveries (Owner and Admin hold `webhook:manage`). */
export const webhookRules: RuleDeclarations = {
  Query: {
    webhookEndpoints: manage,
    webhookEndpoint: manage,
    webhookDeliveries: manage,
  },
  Mutation: {
    createWebhookEndpoint: manage,
    updateWebhookEndpoint: manage,
    deleteWebhookEndpoint: manage,
    rotateWebhookSecret: manage,
    testWebhookEndpoint: manage,
    replayWebhookDelivery: manage,
    replayFailedWebhookDeliveries: manage,
  },
  types: {
    WebhookEndpoint: { '*': allow },
    WebhookEndpointConnection: { '*': allow },
    WebhookEndpointEdge: { '*': allow },
    WebhookCondition: { '*': allow },
    WebhookDelivery: { '*': allow },
    WebhookDeliveryConnection: { '*': allow },
    WebhookDeliveryEdge: { '*': allow },
    WebhookAttempt: { '*': allow },
    CreateWebhookEndpointPayload: { '*': allow },
    WebhookEndpointPayload: { '*': allow },
    RotateWebhookSecretPayload: { '*': allow },
    TestWebhookEndpointPayload: { '*': allow },
    WebhookDeliveryPayload: { '*': allow },
    ReplayWebhookDeliveriesPayload: { '*': allow },
  },
};
