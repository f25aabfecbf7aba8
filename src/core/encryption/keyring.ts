import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { DEVELOPMENT_ENCRYPTION_KEY, type EncryptionKey } from '../../config.js';

/** Every encrypted value starts so; a stored value without it is a plain value from before encryption. */
export const ENCRYPTED_PREFIX = 'enc:';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PART = /^[A-Za-z0-9_-]*$/;

/** A stored value that cannot be read: malformed, under a key not configured, altered, or moved from another row or column. */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

/** The value is encrypted (`enc:…`), as opposed to a plain value stored before encryption at rest. */
export const isEncrypted = (stored: string): boolean => stored.startsWith(ENCRYPTED_PREFIX);

/** The id of the key a stored value is encrypted under (null: plain or malformed). */
export function keyIdOf(stored: string): string | null {
  const parts = stored.split(':');
  return parts.length === 6 && parts[0] === 'enc' && parts[1] === VERSION ? parts[2]! : null;
}

/**
 * AES-256-GCM over the configured keys: the newest (first) encrypts, every key decrypts what it encrypted. A value is
 * stored as `enc:v1:<key id>:<iv>:<tag>:<ciphertext>` (base64url parts), its header and `context` — the table, column
 * and row it belongs to — authenticated as additional data, so a value copied to another row or column does not decrypt.
 */
export class Keyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly currentId: string;

  constructor(
    keys: readonly EncryptionKey[],
    /** True when these are the development key alone (ENCRYPTION_KEY unset): encryption protects nothing. */
    readonly development = false,
  ) {
    const first = keys[0];
    if (!first) throw new Error('a keyring needs at least one key');
    for (const k of keys) if (k.key.length !== 32) throw new Error(`key "${k.id}" must be 32 bytes`);
    this.currentId = first.id;
    this.#keys = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The development key alone: what a process without ENCRYPTION_KEY uses outside production. */
  static development(): Keyring {
    return new Keyring([DEVELOPMENT_ENCRYPTION_KEY], true);
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  encrypt(plain: string, context: string): string {
    const key = this.#keys.get(this.currentId)!;
    const iv = randomBytes(IV_BYTES);
    const header = `${ENCRYPTED_PREFIX}${VERSION}:${this.currentId}:`;
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(header + context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${header}${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${ciphertext.toString('base64url')}`;
  }

  /** The plain value; a value stored before encryption (no `enc:` prefix) is returned as it is. */
  decrypt(stored: string, context: string): string {
    if (!isEncrypted(stored)) return stored;
    const parts = stored.split(':');
    if (parts[1] !== VERSION) throw new DecryptionError(`${context}: encrypted in an unknown format (${String(parts[1]).slice(0, 8)})`);
    const [, , keyId, iv, tag, ciphertext] = parts;
    if (parts.length !== 6 || !keyId || !iv || !tag || ![iv, tag, ciphertext].every((p) => PART.test(p ?? '')))
      throw new DecryptionError(`${context}: the encrypted value is malformed`);
    const key = this.#keys.get(keyId);
    if (!key)
      throw new DecryptionError(
        `${context}: encrypted under key "${keyId}", which ENCRYPTION_KEY does not list (it lists ${this.keyIds.join(', ')})`,
      );
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES)
      throw new DecryptionError(`${context}: the encrypted value is malformed`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(`${ENCRYPTED_PREFIX}${VERSION}:${keyId}:${context}`, 'utf8'));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(ciphertext!, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError(
        `${context}: the encrypted value does not authenticate under key "${keyId}" (altered, or copied from another row or column)`,
      );
    }
  }

  /**
   * A 32-byte key derived (HKDF-SHA256) from key `keyId` for one use (`info`), so that a key never serves two purposes
   * (signed tokens, src/core/encryption/signed-tokens.ts); null when the keyring does not list `keyId`.
   */
  derive(keyId: string, info: string): Buffer | null {
    const key = this.#keys.get(keyId);
    return key ? Buffer.from(hkdfSync('sha256', key, 'crm-kernel derived key', info, 32)) : null;
  }

  /** Whether a stored value is already encrypted under the newest key (`npm run rotate-keys` leaves it alone). */
  isCurrent(stored: string): boolean {
    return keyIdOf(stored) === this.currentId;
  }
}
