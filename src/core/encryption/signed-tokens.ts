import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AppScoped } from '../../registries/app-slot.js';
import type { Keyring } from './keyring.js';
import { keyringOf } from './secrets.js';

/**
 * Short signed tokens for links in email and other public URLs (tracking pixels, click redirects, unsubscribe):
 * `<key id>.<data, base64url>.<HMAC-SHA256, base64url, 128 bits>`. The MAC key is derived (HKDF) from the app's
 * keyring per purpose, so a token for one purpose never verifies for another; the newest key signs and every listed
 * key verifies (the token names its key), so a rotation keeps old links working until the old key is removed. The
 * data is signed, not encrypted: anyone holding the token can read it.
 */

/** Purposes: lower-case, e.g. `campaigns.open` (prefix it with the plugin id). */
const PURPOSE = /^[a-z][a-z0-9_.:-]{0,63}$/;
export const MAX_TOKEN_DATA = 512;
/** Longest token `verifyToken` looks at: anything longer is refused unread. */
export const MAX_TOKEN_LENGTH = 1024;
const MAC_BYTES = 16;
const TOKEN = /^([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;

const derived = new WeakMap<Keyring, Map<string, Buffer | null>>();

function macKey(keyring: Keyring, keyId: string, purpose: string): Buffer | null {
  let keys = derived.get(keyring);
  if (!keys) {
    keys = new Map();
    derived.set(keyring, keys);
  }
  const name = `${keyId}\u0000${purpose}`;
  if (!keys.has(name)) keys.set(name, keyring.derive(keyId, `signed-token:v1:${purpose}`));
  return keys.get(name)!;
}

const mac = (key: Buffer, keyId: string, payload: string) =>
  createHmac('sha256', key).update(`${keyId}.${payload}`).digest().subarray(0, MAC_BYTES);

function checkPurpose(purpose: string): void {
  if (typeof purpose !== 'string' || !PURPOSE.test(purpose))
    throw new Error(
      `signed token purpose ${JSON.stringify(purpose)} must be lower-case letters, digits and . _ : - (e.g. "campaigns.open")`,
    );
}

const holderOf = (holder: AppScoped | { em: AppScoped }): AppScoped => ('em' in holder ? holder.em : holder);

/** Signs `data` (at most 512 characters) for `purpose` under the newest key of the app owning `em`. */
export function signToken(em: AppScoped | { em: AppScoped }, purpose: string, data: string): string {
  checkPurpose(purpose);
  if (typeof data !== 'string' || data.length > MAX_TOKEN_DATA)
    throw new Error(`signToken: data must be a string of at most ${MAX_TOKEN_DATA} characters`);
  const keyring = keyringOf(holderOf(em));
  const keyId = keyring.currentId;
  const payload = Buffer.from(data, 'utf8').toString('base64url');
  return `${keyId}.${payload}.${mac(macKey(keyring, keyId, purpose)!, keyId, payload).toString('base64url')}`;
}

/**
 * The data of a token `signToken` made for `purpose`, under any key the keyring still lists; null for anything else
 * (altered, truncated, another purpose, a removed key, not a string, too long). Never throws on the token.
 */
export function verifyToken(em: AppScoped | { em: AppScoped }, purpose: string, token: unknown): string | null {
  checkPurpose(purpose);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const match = TOKEN.exec(token);
  if (!match) return null;
  const [, keyId, payload, signature] = match as unknown as [string, string, string, string];
  const key = macKey(keyringOf(holderOf(em)), keyId, purpose);
  if (!key) return null;
  const given = Buffer.from(signature, 'base64url');
  // base64url of 16 bytes has unused low bits in its last character: compare the canonical spelling too
  if (given.length !== MAC_BYTES || given.toString('base64url') !== signature) return null;
  if (!timingSafeEqual(given, mac(key, keyId, payload))) return null;
  return Buffer.from(payload, 'base64url').toString('utf8');
}
