import type { AppConfig } from '../../config.js';
import { AppSlot, attachToApp, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { NO_ALLOWLIST, parseHostAllowlist, type HostAllowlist, type Resolver } from './ssrf.js';

/** How this app sends webhooks (from WEBHOOK_* configuration; createApp attaches them to its ORM). */
export interface WebhookSettings {
  allow: HostAllowlist;
  /** Milliseconds one request may take in all. */
  timeoutMs: number;
  /** Days of failing before `disableFailingWebhookEndpoints` disables an endpoint (its default). */
  disableAfterDays: number;
  /** DNS resolution at send time (tests may pin one). */
  resolve?: Resolver;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = { allow: NO_ALLOWLIST, timeoutMs: 10_000, disableAfterDays: 5 };

export function webhookSettingsFrom(
  config: Pick<AppConfig, 'WEBHOOK_ALLOWED_HOSTS' | 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_DISABLE_AFTER_DAYS'>,
): WebhookSettings {
  return {
    allow: parseHostAllowlist(config.WEBHOOK_ALLOWED_HOSTS),
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    disableAfterDays: config.WEBHOOK_DISABLE_AFTER_DAYS,
  };
}

export const WEBHOOK_SETTINGS_SLOT = new AppSlot<WebhookSettings>('webhook settings');

/** Makes `settings` those of the app owning `orm` (the first app on an ORM keeps its own). */
export function attachWebhookSettings(orm: AppScoped, settings: WebhookSettings): WebhookSettings {
  const attached = lookupInApp(orm, WEBHOOK_SETTINGS_SLOT);
  if (attached) return attached;
  attachToApp(orm, WEBHOOK_SETTINGS_SLOT, settings);
  return settings;
}

/** The settings of the app owning `holder` (an ORM or entity manager); the defaults when none are attached. */
export function webhookSettingsOf(holder: AppScoped): WebhookSettings {
  return lookupInApp(holder, WEBHOOK_SETTINGS_SLOT) ?? DEFAULT_WEBHOOK_SETTINGS;
}
