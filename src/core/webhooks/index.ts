/**
 * Outbound webhooks (README.md beside this file). What the job queue calls:
 *
 * - `attemptWebhookDelivery(orm, deliveryId, now)`: one HTTP attempt of a due delivery → `{ outcome, retryAt? }`;
 *   `attemptWebhookDeliveries(orm, ids, now)`: a batch of them (per workspace one claim and one record transaction).
 * - `dueDeliveries(orm, now, limit)`: the deliveries due at `now` (for a periodic sweep).
 * - `recoverableDeliveries(orm, now, limit)`: the due ones and those in flight (at a worker's start).
 * - `claimDurationMs(timeoutMs)`: how long an attempt's claim lasts.
 * - `disableFailingWebhookEndpoints(orm, now, days?)`: disables endpoints failing for `days` (WEBHOOK_DISABLE_AFTER_DAYS).
 * - `setWebhookDeliveryScheduler(orm, fn)`: optional, to enqueue a job in the transaction that creates or re-queues deliveries.
 */
export {
  ABANDONED_ATTEMPT_ERROR,
  attemptWebhookDelivery,
  attemptWebhookDeliveries,
  claimDurationMs,
  disableFailingWebhookEndpoints,
  dueDeliveries,
  recoverableDeliveries,
  fanOutEvent,
  setWebhookDeliveryScheduler,
  webhookFanOutSubscriber,
  WEBHOOK_WORKER_SETTING,
  type AttemptOutcome,
  type AttemptOutcomeKind,
  type DisabledEndpoint,
  type QueuedDelivery,
  type WebhookDeliveryScheduler,
} from './delivery.js';
export { nextAttemptAt, retryAfterMs, MAX_ATTEMPTS, MAX_RETRY_AFTER_MS, RETRY_SCHEDULE_MS } from './schedule.js';
export {
  attachWebhookSettings,
  webhookSettingsFrom,
  webhookSettingsOf,
  DEFAULT_WEBHOOK_SETTINGS,
  type WebhookSettings,
} from './settings.js';
export { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from './webhook.entities.js';
