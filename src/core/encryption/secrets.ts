import { type AppConfig, ConfigError, parseEncryptionKeys } from '../../config.js';
import { AppSlot, attachToApp, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { Keyring } from './keyring.js';

/** A column whose values are encrypted at rest, each bound to its row (`rowId`: the row's primary key). */
export interface EncryptedColumn {
  table: string;
  column: string;
  /** A tenant table: its rows are read and rewritten in their workspace (row-level security). */
  tenant: boolean;
}

export const TOTP_SECRET: EncryptedColumn = { table: 'app_user', column: 'totp_secret', tenant: false };
export const WEBHOOK_SECRET: EncryptedColumn = { table: 'webhook_endpoint', column: 'secret', tenant: true };
export const WEBHOOK_PREVIOUS_SECRET: EncryptedColumn = { table: 'webhook_endpoint', column: 'previous_secret', tenant: true };

/** Every encrypted column: what `npm run rotate-keys` rewrites under the newest key. */
export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = [TOTP_SECRET, WEBHOOK_SECRET, WEBHOOK_PREVIOUS_SECRET];

/** The additional data a value is bound to: its table, column and row. */
export const encryptionContext = (column: EncryptedColumn, rowId: string) => `${column.table}.${column.column}:${rowId}`;

/**
 * The keyring of a configuration: ENCRYPTION_KEY's keys; without it the development key — refused in production
 * (loadConfig refuses first; this is the second line for callers that build a configuration themselves).
 */
export function keyringFrom(config: Pick<AppConfig, 'NODE_ENV' | 'ENCRYPTION_KEY'>): Keyring {
  if (config.ENCRYPTION_KEY) {
    try {
      return new Keyring(parseEncryptionKeys(config.ENCRYPTION_KEY));
    } catch (error) {
      throw new ConfigError(`Invalid configuration:\n  ENCRYPTION_KEY: ${(error as Error).message}`);
    }
  }
  if (config.NODE_ENV === 'production') throw new ConfigError('Invalid configuration:\n  ENCRYPTION_KEY: is required in production');
  return Keyring.development();
}

const KEYRING_SLOT = new AppSlot<Keyring>('encryption keyring');

/** Makes `keyring` that of the app owning `orm` (the first app on an ORM keeps its own). */
export function attachKeyring(orm: AppScoped, keyring: Keyring): Keyring {
  const attached = lookupInApp(orm, KEYRING_SLOT);
  if (attached) return attached;
  attachToApp(orm, KEYRING_SLOT, keyring);
  return keyring;
}

let processKeyring: Keyring | undefined;

/** The keyring of the app owning `holder`; without one attached, the process environment's (ENCRYPTION_KEY, NODE_ENV). */
export function keyringOf(holder: AppScoped): Keyring {
  const attached = lookupInApp(holder, KEYRING_SLOT);
  if (attached) return attached;
  processKeyring ??= keyringFrom({
    NODE_ENV: (process.env.NODE_ENV ?? 'development') as AppConfig['NODE_ENV'],
    ENCRYPTION_KEY: process.env.ENCRYPTION_KEY?.trim() || undefined,
  });
  return processKeyring;
}

/** Encrypts a secret for one row's column, under the newest key of the app owning `holder`. */
export function encryptSecret(holder: AppScoped, column: EncryptedColumn, rowId: string, plain: string): string {
  return keyringOf(holder).encrypt(plain, encryptionContext(column, rowId));
}

/** Decrypts what `encryptSecret` stored (a plain value stored before encryption comes back as it is). */
export function decryptSecret(holder: AppScoped, column: EncryptedColumn, rowId: string, stored: string): string {
  return keyringOf(holder).decrypt(stored, encryptionContext(column, rowId));
}
