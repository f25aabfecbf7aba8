import { InputRejected } from '../../graphql/errors.js';
import { hasControlCharacter } from '../shared/text.js';

/**
 * What a sender may set on a message beyond its content: extra headers from an allowlist (the ones bulk mail needs —
 * RFC 2369 / 8058 unsubscribe, list id, feedback loops — and `X-` headers) and a sender identity. Values are checked
 * for control characters, so no caller can inject a header or a second recipient through them.
 */

/** The headers a sender may add (matched without regard to case, stored under these spellings). */
export const ALLOWED_HEADERS = ['List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Id', 'Precedence', 'Feedback-ID'] as const;
export const MAX_HEADERS = 20;
export const MAX_HEADER_VALUE = 2_000;
const X_HEADER = /^X-[A-Za-z0-9][A-Za-z0-9-]{0,75}$/i;
/** X- headers that would change how the message is handled rather than describe it. */
const RESERVED_X_HEADERS = new Set(['x-mailer']);
const byLowerCase = new Map(ALLOWED_HEADERS.map((name) => [name.toLowerCase(), name]));

/** One address, no display name (the same rule as `to`). */
export const ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
export const MAX_FROM = 400;
const MAX_FROM_NAME = 200;

/** The checked headers (allowlisted names, values of one line), or `InputRejected` on `headers` / `headers.<name>`. */
export function checkHeaders(headers: unknown): Record<string, string> {
  if (headers == null) return {};
  if (typeof headers !== 'object' || Array.isArray(headers))
    throw InputRejected.one('headers', 'must be an object of header names and values');
  const entries = Object.entries(headers as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) throw InputRejected.one('headers', `at most ${MAX_HEADERS} headers`);
  const checked: Record<string, string> = {};
  for (const [name, value] of entries) {
    const field = `headers.${hasControlCharacter(name) ? JSON.stringify(name).slice(1, -1) : name.slice(0, 100)}`;
    const lower = name.toLowerCase();
    const canonical = byLowerCase.get(lower) ?? (X_HEADER.test(name) && !RESERVED_X_HEADERS.has(lower) ? name : undefined);
    if (!canonical) throw InputRejected.one(field, `is not a header a sender may set (${ALLOWED_HEADERS.join(', ')} or X-<name>)`);
    if (Object.keys(checked).some((k) => k.toLowerCase() === lower)) throw InputRejected.one(field, 'is given twice');
    if (typeof value !== 'string' || !value.trim()) throw InputRejected.one(field, 'must be a non-empty string');
    if (value.length > MAX_HEADER_VALUE) throw InputRejected.one(field, `must be at most ${MAX_HEADER_VALUE} characters`);
    if (hasControlCharacter(value)) throw InputRejected.one(field, 'must be one line without control characters');
    checked[canonical] = value.trim();
  }
  return checked;
}

/**
 * A sender identity — `Name <address>` or a bare address — as stored and handed to the SMTP client: the name quoted
 * (so a comma in it is not a second address), the address lower-cased. `InputRejected` on `from`.
 */
export function checkFrom(from: unknown): string {
  const text = typeof from === 'string' ? from.trim() : '';
  const refuse = (why: string) => InputRejected.one('from', why);
  if (!text) throw refuse('must be an email address, or Name <address>');
  if (text.length > MAX_FROM || hasControlCharacter(text)) throw refuse(`must be one line of at most ${MAX_FROM} characters`);
  const named = /^(.*?)\s*<([^<>]+)>$/.exec(text);
  const address = (named ? named[2]! : text).trim();
  if (!ADDRESS.test(address)) throw refuse('must be one email address (name@example.com), or Name <name@example.com>');
  if (!named) return address.toLowerCase();
  let name = named[1]!.trim();
  if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).trim();
  if (!name) return address.toLowerCase();
  if (name.length > MAX_FROM_NAME) throw refuse(`the name must be at most ${MAX_FROM_NAME} characters`);
  if (/["\\<>]/.test(name)) throw refuse('the name must not contain quotes, backslashes or angle brackets');
  return `"${name}" <${address.toLowerCase()}>`;
}
