import type { Logger } from 'pino';
import type { AppConfig } from '../../config.js';
import { AppSlot, attachToApp, lookupInApp, type AppScoped } from '../../registries/app-slot.js';

/** How this app sends email (SMTP_URL, MAIL_FROM; createApp attaches them to its ORM). */
export interface EmailSettings {
  mail: Pick<AppConfig, 'SMTP_URL' | 'MAIL_FROM'>;
  /** Where a message goes when SMTP_URL is unset (development). */
  logger: Pick<Logger, 'info'>;
}

const QUIET = { info: () => undefined };
export const DEFAULT_EMAIL_SETTINGS: EmailSettings = {
  mail: { SMTP_URL: undefined, MAIL_FROM: 'CRM <no-reply@localhost>' },
  logger: QUIET,
};

const EMAIL_SETTINGS_SLOT = new AppSlot<EmailSettings>('email settings');

/** Makes `settings` those of the app owning `orm` (the first app on an ORM keeps its own). */
export function attachEmailSettings(orm: AppScoped, settings: EmailSettings): EmailSettings {
  const attached = lookupInApp(orm, EMAIL_SETTINGS_SLOT);
  if (attached) return attached;
  attachToApp(orm, EMAIL_SETTINGS_SLOT, settings);
  return settings;
}

export function emailSettingsOf(holder: AppScoped): EmailSettings {
  return lookupInApp(holder, EMAIL_SETTINGS_SLOT) ?? DEFAULT_EMAIL_SETTINGS;
}
