/**
 * Secrets never reach the audit log: fields named like a secret (password hashes, token and key hashes, TOTP
 * seeds, recovery codes, anything ending in Hash/Secret/Token) are left out of `changes` (only their names are
 * kept, under `metadata.redactedFields`), and such keys nested in JSON values are masked.
 */
const SECRET_NAME = /(hash|hashes|secret|secrets|token|tokens|password|passwd|totp|recoverycodes?|privatekey|apikey)$/i;
const SECRET_PREFIX = /^(password|secret|totp|recoveryCode)/i;

export const REDACTED = '[REDACTED]';

export function isSecretField(name: string): boolean {
  return SECRET_NAME.test(name) || SECRET_PREFIX.test(name) || /_(hash|secret|token)$/i.test(name);
}

/** A JSON-safe copy of a value with secret-looking keys masked at any depth. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value == null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (depth > 8) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretField(k) ? REDACTED : redactValue(v, depth + 1);
  return out;
}

export type Changes = Record<string, { before: unknown; after: unknown }>;

/** Splits changes into the storable ones and the names of the secret fields that changed. */
export function redactChanges(
  changes: Changes,
  alsoSecret: (field: string) => boolean = () => false,
): { changes: Changes; redactedFields: string[] } {
  const out: Changes = {};
  const redactedFields: string[] = [];
  for (const [field, change] of Object.entries(changes)) {
    if (isSecretField(field) || alsoSecret(field)) {
      redactedFields.push(field);
      continue;
    }
    out[field] = { before: redactValue(change.before), after: redactValue(change.after) };
  }
  return { changes: out, redactedFields };
}
