import { z } from 'zod';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import type { EmailEntry, PhoneEntry, PostalAddress } from './value-objects.js';

/** Parses input with a zod schema; every issue becomes a user error naming its field path. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix: string[] = []): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InputRejected(result.error.issues.map((i) => toUserError(i, prefix)));
}

function toUserError(issue: z.core.$ZodIssue, prefix: string[]): UserError {
  const field = [...prefix, ...issue.path.map(String)];
  const code = issue.code === 'custom' && (issue.params as { code?: ErrorCode } | undefined)?.code;
  return userError(field.length ? field : ['input'], issue.message, code || ErrorCode.BAD_USER_INPUT);
}

export const trimmed = (max: number) =>
  z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .transform((s) => s.trim());

export const optionalText = (max: number) =>
  trimmed(max)
    .nullish()
    .transform((s) => (s === '' ? null : s));

export const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, { message: 'must be an ISO-4217 code such as USD' })
  .refine((c) => Intl.supportedValuesOf('currency').includes(c), { message: 'is not a known ISO-4217 currency' });

export const money = z.object({
  amount: z.number().int({ message: 'must be whole minor units' }).min(0, { message: 'must not be negative' }),
  currency: currencyCode,
});

export const emailAddress = z
  .string()
  .max(320, { message: 'must be at most 320 characters' })
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.email({ message: 'is not a valid email address' }));

/** Digits with the usual separators and an optional extension; at least three digits. */
export function isPhoneNumber(text: string): boolean {
  return /^\+?[0-9 ().\-/]{3,}(\s*(x|ext\.?)\s*\d+)?$/i.test(text) && /\d{3}/.test(text.replace(/\D/g, ''));
}

export const phoneNumber = z
  .string()
  .max(40, { message: 'must be at most 40 characters' })
  .transform((s) => s.trim())
  .refine(isPhoneNumber, { message: 'is not a valid phone number' });

export const webUrl = z
  .string()
  .max(2048, { message: 'must be at most 2048 characters' })
  .transform((s) => s.trim())
  .transform((s) => (/^https?:\/\//i.test(s) ? s : `https://${s}`))
  .refine((s) => URL.canParse(s) && /\./.test(new URL(s).hostname), { message: 'is not a valid URL' });

export const domainName = z
  .string()
  .max(253, { message: 'must be at most 253 characters' })
  .transform((s) =>
    s
      .trim()
      .toLowerCase()
      .replace(/^https?:\/\//, '')
      .replace(/^www\./, '')
      .replace(/\/.*$/, ''),
  )
  .refine((s) => /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(s), {
    message: 'is not a valid domain name',
  });

const label = optionalText(60);

export const emailList = z
  .array(z.object({ email: emailAddress, label, primary: z.boolean().default(false) }))
  .max(20, { message: 'at most 20 email addresses' })
  .transform((list) => withOnePrimary(dedupeBy(list, (e) => e.email)) as EmailEntry[]);

export const phoneList = z
  .array(z.object({ number: phoneNumber, label, primary: z.boolean().default(false) }))
  .max(20, { message: 'at most 20 phone numbers' })
  .transform((list) => withOnePrimary(dedupeBy(list, (p) => p.number.replace(/\D/g, ''))) as PhoneEntry[]);

export const address = z
  .object({
    street: optionalText(300),
    city: optionalText(120),
    region: optionalText(120),
    postalCode: optionalText(20),
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, { message: 'must be an ISO-3166 alpha-2 code such as DE' })
      .transform((c) => c.toUpperCase())
      .nullish(),
  })
  .transform((a) => a as PostalAddress);

function dedupeBy<T>(list: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return list.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Exactly one primary entry: the first flagged one, else the first. */
function withOnePrimary<T extends { primary: boolean }>(list: T[]): T[] {
  const primaryIndex = Math.max(
    0,
    list.findIndex((e) => e.primary),
  );
  return list.map((e, i) => ({ ...e, primary: i === primaryIndex }));
}
