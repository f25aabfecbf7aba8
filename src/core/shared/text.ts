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
