import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-id` (the delivery's id, the same on every
 * retry and replay of it), `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature` (`v1,<base64
 * HMAC-SHA256 of "id.timestamp.body">`, one per secret, space-separated). Secrets are `whsec_` + base64 of 32 bytes.
 */

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The secrets that sign at `now`: the current one, and the previous one until its overlap ends. */
export function signingSecrets(
  endpoint: { secret: string; previousSecret?: string | null; previousSecretExpiresAt?: Date | null },
  now: Date,
): string[] {
  const expires = endpoint.previousSecretExpiresAt;
  return endpoint.previousSecret && expires && expires.getTime() > now.getTime()
    ? [endpoint.secret, endpoint.previousSecret]
    : [endpoint.secret];
}

export function signatureHeaders(messageId: string, at: Date, body: string, secrets: readonly string[]): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(messageId, at, body)).join(' '),
  };
}
