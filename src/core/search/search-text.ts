/** Lower-case, accent-free text that search matches; queries are folded the same way. */
export function foldText(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

export function searchTextOf(parts: (string | null | undefined)[]): string {
  return foldText(parts.filter((p): p is string => !!p).join(' '));
}

/** Phone numbers are matched by their digits. */
export const phoneDigits = (phone: string) => phone.replace(/\D/g, '');

export function companySearchText(c: { name: string; domains: string[]; phones: { number: string }[] }): string {
  return searchTextOf([c.name, ...c.domains, ...c.phones.map((p) => phoneDigits(p.number))]);
}

export function contactSearchText(c: {
  firstName?: string | null;
  lastName?: string | null;
  emails: { email: string }[];
  phones: { number: string }[];
}): string {
  return searchTextOf([c.firstName, c.lastName, ...c.emails.map((e) => e.email), ...c.phones.map((p) => phoneDigits(p.number))]);
}
