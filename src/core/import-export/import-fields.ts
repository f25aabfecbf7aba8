import { z } from 'zod';
import { ConsentStatus } from '../customers/contact.entity.js';
import { LifecycleStage } from '../shared/value-objects.js';
import { currencyCode, domainName, emailAddress, isPhoneNumber, phoneNumber, trimmed, webUrl } from '../shared/validation.js';
import { CustomFieldType, type CustomFieldDefinition } from '../custom-fields/custom-field-definition.entity.js';

export type ImportObjectKind = 'contacts' | 'companies';
export const OBJECT_TYPE_NAMES: Record<ImportObjectKind, 'Contact' | 'Company'> = { contacts: 'Contact', companies: 'Company' };

type CellResult = { value: unknown } | { error: string };

/**
 * How a CSV cell becomes a field value; `list` fields split on `;`. `check` is a plain-function twin of
 * `schema` (same result, same messages) used on the import's hot path; the zod schema stays the definition.
 */
interface FieldSpec {
  schema: z.ZodType;
  check?: (cell: string) => CellResult;
  list?: boolean;
}

const tooLong = (max: number) => ({ error: `must be at most ${max} characters` });
const text = (max: number): FieldSpec => ({ schema: trimmed(max), check: (s) => (s.length > max ? tooLong(max) : { value: s.trim() }) });
const BOOL_VALUES: Record<string, boolean> = { true: true, yes: true, '1': true, false: false, no: false, '0': false };
const bool: FieldSpec = {
  schema: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(['true', 'false', 'yes', 'no', '1', '0'], { message: 'must be true or false' }))
    .transform((s) => s === 'true' || s === 'yes' || s === '1'),
  check: (s) => {
    const value = BOOL_VALUES[s.trim().toLowerCase()];
    return value === undefined ? { error: 'must be true or false' } : { value };
  },
};
const upperEnum = <T extends Record<string, string>>(values: T): FieldSpec => {
  const message = `must be one of ${Object.values(values).join(', ')}`;
  const allowed = new Set<string>(Object.values(values));
  return {
    schema: z
      .string()
      .transform((s) =>
        s
          .trim()
          .toUpperCase()
          .replace(/[\s-]+/g, '_'),
      )
      .pipe(z.enum(values, { message })),
    check: (s) => {
      const value = s
        .trim()
        .toUpperCase()
        .replace(/[\s-]+/g, '_');
      return allowed.has(value) ? { value } : { error: message };
    },
  };
};
const EMAIL = z.regexes.email;
const emailSpec = (list: boolean): FieldSpec => ({
  schema: emailAddress,
  list,
  check: (s) => {
    if (s.length > 320) return tooLong(320);
    const value = s.trim().toLowerCase();
    return EMAIL.test(value) ? { value } : { error: 'is not a valid email address' };
  },
});
const phoneSpec = (list: boolean): FieldSpec => ({
  schema: phoneNumber,
  list,
  check: (s) => {
    if (s.length > 40) return tooLong(40);
    const value = s.trim();
    return isPhoneNumber(value) ? { value } : { error: 'is not a valid phone number' };
  },
});
const int = (min: number, max: number, what = 'a whole number'): FieldSpec => ({
  schema: z
    .string()
    .transform((s) => s.trim().replace(/[\s_,]/g, ''))
    .pipe(z.string().regex(/^-?\d+$/, { message: `must be ${what}` }))
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    ),
});
const tagName: FieldSpec = { schema: trimmed(80).pipe(z.string().min(1)), list: true };
const COUNTRY = /^[A-Za-z]{2}$/;
const globalIdSpec: FieldSpec = { schema: z.string().trim().min(1) };
const addressFields: Record<string, FieldSpec> = {
  'address.street': text(300),
  'address.city': text(120),
  'address.region': text(120),
  'address.postalCode': text(20),
  'address.country': {
    schema: z
      .string()
      .trim()
      .regex(COUNTRY, { message: 'must be an ISO-3166 alpha-2 code such as DE' })
      .transform((c) => c.toUpperCase()),
    check: (s) => {
      const value = s.trim();
      return COUNTRY.test(value) ? { value: value.toUpperCase() } : { error: 'must be an ISO-3166 alpha-2 code such as DE' };
    },
  },
};

export const FIELD_SPECS: Record<ImportObjectKind, Record<string, FieldSpec>> = {
  contacts: {
    id: globalIdSpec,
    firstName: text(200),
    lastName: text(200),
    email: emailSpec(false),
    emails: emailSpec(true),
    phone: phoneSpec(false),
    phones: phoneSpec(true),
    jobTitle: text(200),
    company: text(300),
    lifecycleStage: upperEnum(LifecycleStage),
    source: text(120),
    marketingConsent: upperEnum(ConsentStatus),
    doNotContact: bool,
    doNotEmail: bool,
    doNotCall: bool,
    tags: tagName,
    ...addressFields,
  },
  companies: {
    id: globalIdSpec,
    name: text(300),
    domain: { schema: domainName },
    domains: { schema: domainName, list: true },
    industry: text(120),
    employeeCount: int(0, 10_000_000),
    annualRevenue: int(0, Number.MAX_SAFE_INTEGER, 'whole minor units (cents)'),
    annualRevenueCurrency: { schema: z.string().trim().toUpperCase().pipe(currencyCode) },
    phone: phoneSpec(false),
    phones: phoneSpec(true),
    website: { schema: webUrl },
    lifecycleStage: upperEnum(LifecycleStage),
    tags: tagName,
    ...addressFields,
  },
};

/** Header names (lower-cased, without spaces, `_` and `-`) that map to a field by default. */
const HEADER_ALIASES: Record<ImportObjectKind, Record<string, string>> = {
  contacts: {
    givenname: 'firstName',
    surname: 'lastName',
    familyname: 'lastName',
    emailaddress: 'email',
    primaryemail: 'email',
    mail: 'email',
    phonenumber: 'phone',
    mobile: 'phone',
    telephone: 'phone',
    title: 'jobTitle',
    position: 'jobTitle',
    companyname: 'company',
    organization: 'company',
    organisation: 'company',
    account: 'company',
    stage: 'lifecycleStage',
    tag: 'tags',
  },
  companies: {
    companyname: 'name',
    organization: 'name',
    website: 'website',
    url: 'website',
    primarydomain: 'domain',
    employees: 'employeeCount',
    numberofemployees: 'employeeCount',
    revenue: 'annualRevenue',
    currency: 'annualRevenueCurrency',
    phonenumber: 'phone',
    stage: 'lifecycleStage',
    tag: 'tags',
  },
};

const squash = (s: string) => s.toLowerCase().replace(/[\s_-]/g, '');

export const CUSTOM_PREFIX = 'custom.';

/** The field a header maps to without an explicit mapping, or null (the column is ignored). */
export function defaultFieldFor(kind: ImportObjectKind, header: string): string | null {
  const h = header.trim();
  if (h.toLowerCase().startsWith(CUSTOM_PREFIX)) return CUSTOM_PREFIX + h.slice(CUSTOM_PREFIX.length).trim();
  const key = squash(h);
  const specs = FIELD_SPECS[kind];
  for (const field of Object.keys(specs)) {
    if (squash(field) === key) return field;
    if (field.startsWith('address.') && squash(field.slice(8)) === key) return field;
  }
  return HEADER_ALIASES[kind][key] ?? null;
}

export function isKnownField(kind: ImportObjectKind, field: string): boolean {
  return field in FIELD_SPECS[kind] || (field.startsWith(CUSTOM_PREFIX) && field.length > CUSTOM_PREFIX.length);
}

/** Validates one cell. Empty cells are skipped by the caller (they leave the stored value unchanged). */
export function parseCell(kind: ImportObjectKind, field: string, cell: string): CellResult {
  const spec = FIELD_SPECS[kind][field]!;
  const parse = (raw: string): CellResult => {
    if (spec.check) return spec.check(raw);
    const r = spec.schema.safeParse(raw);
    return r.success ? { value: r.data } : { error: r.error.issues[0]?.message ?? 'is not valid' };
  };
  if (!spec.list) return parse(cell);
  const values: unknown[] = [];
  for (const part of cell
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const r = parse(part);
    if ('error' in r) return { error: `"${part}" ${r.error}` };
    values.push(r.value);
  }
  return { value: values };
}

/** A custom value from its CSV text, typed for mergeCustomValues (which checks it against the definition). */
export function customCellValue(def: CustomFieldDefinition | undefined, cell: string): unknown {
  const s = cell.trim();
  switch (def?.type) {
    case CustomFieldType.NUMBER:
    case CustomFieldType.MONEY:
      return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
    case CustomFieldType.BOOLEAN: {
      const l = s.toLowerCase();
      return ['true', 'yes', '1'].includes(l) ? true : ['false', 'no', '0'].includes(l) ? false : s;
    }
    case CustomFieldType.MULTI_SELECT:
      return s
        .split(';')
        .map((p) => p.trim())
        .filter(Boolean);
    default:
      return s;
  }
}

/** The CSV text of a custom value (inverse of customCellValue). */
export function customCellText(value: unknown): string {
  if (value == null) return '';
  if (Array.isArray(value)) return value.join(';');
  return String(value);
}
