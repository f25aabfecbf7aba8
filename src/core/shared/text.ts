/** Whether `text` has a C0/C1 control character (NUL included); `allowLineBreaks` lets tab, LF and CR pass. */
export function hasControlCharacter(text: string, allowLineBreaks = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (allowLineBreaks && (code === 0x09 || code === 0x0a || code === 0x0d)) continue;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** Whether `text` has a control character, a space or an invisible separator (not in a URL). */
export function hasUnsafeUrlCharacter(text: string): boolean {
  if (hasControlCharacter(text)) return true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x20 || code === 0x2028 || code === 0x2029 || code === 0xfeff || code === 0xa0) return true;
  }
  return false;
}

/** Text PostgreSQL can store: NUL becomes U+FFFD. */
export const withoutNul = (text: string): string => text.split('\u0000').join('\ufffd');

/**
 * The first code unit of `text` that API text may not hold, or null: NUL (PostgreSQL cannot store it), the other C0
 * and C1 control characters except tab, line feed and carriage return, and an unpaired UTF-16 surrogate (stored as
 * U+FFFD otherwise).
 */
export function disallowedCharacter(text: string): number | null {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20) {
      if (code !== 0x09 && code !== 0x0a && code !== 0x0d) return code;
    } else if (code >= 0x7f && code <= 0x9f) return code;
    else if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
      else return code;
    }
  }
  return null;
}

export const codePointName = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/** Where a value holds a disallowed character (a dotted path from the given root), and which. */
export interface DisallowedText {
  path: string;
  code: number;
}

/** The first disallowed character of any string inside a JSON value (keys too). */
export function disallowedInValue(value: unknown, path: string): DisallowedText | null {
  if (typeof value === 'string') {
    const code = disallowedCharacter(value);
    return code === null ? null : { path, code };
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = disallowedInValue(item, `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyCode = disallowedCharacter(key);
      if (keyCode !== null) return { path, code: keyCode };
      const found = disallowedInValue(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}
