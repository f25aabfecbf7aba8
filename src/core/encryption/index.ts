/**
 * Encryption at rest (README.md beside this file): AES-256-GCM under the keys of ENCRYPTION_KEY.
 *
 * - `encryptSecret(em, column, rowId, plain)` / `decryptSecret(em, column, rowId, stored)`: a secret of one row's
 *   column, under the keyring of the app owning `em` (`attachKeyring`, done by createApp).
 * - `signToken(em, purpose, data)` / `verifyToken(em, purpose, token)`: short HMAC-signed tokens for public links.
 * - `rotateEncryption(orm, keyring)`: `npm run rotate-keys` — every encrypted column under the newest key.
 */
export { DecryptionError, ENCRYPTED_PREFIX, isEncrypted, Keyring, keyIdOf } from './keyring.js';
export {
  attachKeyring,
  decryptSecret,
  ENCRYPTED_COLUMNS,
  type EncryptedColumn,
  encryptionContext,
  encryptSecret,
  keyringFrom,
  keyringOf,
  TOTP_SECRET,
  WEBHOOK_PREVIOUS_SECRET,
  WEBHOOK_SECRET,
} from './secrets.js';
export { MAX_TOKEN_DATA, MAX_TOKEN_LENGTH, signToken, verifyToken } from './signed-tokens.js';
export { type ColumnRotation, type RotationReport, rotateEncryption } from './rotate.js';
