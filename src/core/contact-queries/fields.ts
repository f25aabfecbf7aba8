import { Sql, raw, sql } from '../../db/sql.js';
import { CustomFieldType, type CustomFieldDefinition } from '../custom-fields/custom-field-definition.entity.js';
import { customValueExpr } from '../custom-fields/custom-field.service.js';
import type { FieldKind } from '../automation/catalog.js';
import { ConsentStatus } from '../customers/contact.entity.js';
import { LifecycleStage } from '../shared/value-objects.js';

/**
 * The fields contact rules compare, each with its kind (the operators it takes, as automation's), the protected field
 * hiding it, and its SQL over the contact row's alias. Scalar fields give an expression; list fields (tags, teams,
 * multi-selects) a membership test.
 */
export interface ContactField {
  kind: FieldKind;
  /** Allowed values of an enum. */
  values?: readonly string[];
  /** The global id type of a user / record value. */
  idType?: string;
  /** The protected field that hides it (`canSeeField(type, field)`). */
  protectedAs?: { type: 'Contact' | 'Company'; field: string };
  /** A scalar expression over the contact row (`c.first_name`). */
  expr?: (contact: string) => Sql;
  /** List fields: whether the list holds `value` (null: holds anything). */
  has?: (contact: string, value: string | null) => Sql;
  /** `expr` reads the contact's live company through `companyJoin` (left-joined once per statement). */
  readsCompany?: true;
}

const lifecycle = Object.values(LifecycleStage);
const column = (name: string) => (c: string) => raw(`${c}.${name}`);
/** The alias of the contact's live company in a statement over the contact row `contact`. */
export const companyAlias = (contact: string) => `${contact}_company`;
/** The join the company fields read: at most one live company per contact, null columns without one. */
export const companyJoin = (contact: string) => {
  const co = companyAlias(contact);
  return `left join company ${co} on ${co}.id = ${contact}.company_id and ${co}.deleted_at is null`;
};
/** A column of the contact's live company (null without one), through `companyJoin`. */
const companyColumn = (expr: (co: string) => string) => (c: string) => raw(expr(companyAlias(c)));

const CONTACT_FIELDS: Record<string, ContactField> = {
  firstName: { kind: 'string', expr: column('first_name') },
  lastName: { kind: 'string', expr: column('last_name') },
  email: { kind: 'string', expr: column('primary_email'), protectedAs: { type: 'Contact', field: 'primaryEmail' } },
  jobTitle: { kind: 'string', expr: column('job_title') },
  source: { kind: 'string', expr: column('source') },
  lifecycleStage: { kind: 'enum', values: lifecycle, expr: (c) => raw(`${c}.lifecycle_stage::text`) },
  marketingConsent: { kind: 'enum', values: Object.values(ConsentStatus), expr: (c) => raw(`${c}.marketing_consent::text`) },
  doNotContact: { kind: 'boolean', expr: column('do_not_contact') },
  doNotEmail: { kind: 'boolean', expr: column('do_not_email') },
  doNotCall: { kind: 'boolean', expr: column('do_not_call') },
  ownerId: { kind: 'user', idType: 'User', expr: (c) => raw(`${c}.owner_id::text`) },
  companyId: { kind: 'record', idType: 'Company', expr: (c) => raw(`${c}.company_id::text`) },
  createdAt: { kind: 'date', expr: column('created_at') },
  updatedAt: { kind: 'date', expr: column('updated_at') },
  lastActivityAt: {
    kind: 'date',
    expr: (c) =>
      raw(
        `(select max(l.occurred_at) from timeline_link l where l.workspace_id = ${c}.workspace_id and l.target_type = 'Contact' and l.target_id = ${c}.id)`,
      ),
  },
  tags: {
    kind: 'tags',
    has: (c, name) =>
      sql`exists (select 1 from contact_tag p join tag t on t.id = p.tag_id where p.contact_id = ${raw(c)}.id${
        name == null ? raw('') : sql` and t.normalized_name = ${name.trim().toLowerCase()}`
      })`,
  },
  'owner.teams': {
    kind: 'idList',
    idType: 'Team',
    has: (c, teamId) =>
      sql`exists (select 1 from team_member tm where tm.workspace_id = ${raw(c)}.workspace_id and tm.user_id = ${raw(c)}.owner_id${
        teamId == null ? raw('') : sql` and tm.team_id::text = ${teamId}`
      })`,
  },
  'company.name': { kind: 'string', readsCompany: true, expr: companyColumn((co) => `${co}.name`) },
  'company.domain': { kind: 'string', readsCompany: true, expr: companyColumn((co) => `${co}.primary_domain`) },
  'company.industry': { kind: 'string', readsCompany: true, expr: companyColumn((co) => `${co}.industry`) },
  'company.website': { kind: 'string', readsCompany: true, expr: companyColumn((co) => `${co}.website`) },
  'company.employeeCount': {
    kind: 'number',
    readsCompany: true,
    expr: companyColumn((co) => `${co}.employee_count`),
    protectedAs: { type: 'Company', field: 'employeeCount' },
  },
  'company.annualRevenue': {
    kind: 'number',
    readsCompany: true,
    expr: companyColumn((co) => `${co}.annual_revenue_amount`),
    protectedAs: { type: 'Company', field: 'annualRevenue' },
  },
  'company.lifecycleStage': {
    kind: 'enum',
    values: lifecycle,
    readsCompany: true,
    expr: companyColumn((co) => `${co}.lifecycle_stage::text`),
  },
};

/** The built-in field names (for catalogues and docs). */
export const CONTACT_FIELD_NAMES: readonly string[] = Object.keys(CONTACT_FIELDS);

const CUSTOM_KINDS: Record<CustomFieldType, FieldKind> = {
  [CustomFieldType.TEXT]: 'string',
  [CustomFieldType.URL]: 'string',
  [CustomFieldType.EMAIL]: 'string',
  [CustomFieldType.NUMBER]: 'number',
  [CustomFieldType.MONEY]: 'number',
  [CustomFieldType.DATE]: 'date',
  [CustomFieldType.BOOLEAN]: 'boolean',
  [CustomFieldType.SELECT]: 'enum',
  [CustomFieldType.MULTI_SELECT]: 'idList',
};

/** A custom field of contacts (`row` = the contact's alias) or of their company (`row` = the company's). */
function customField(def: CustomFieldDefinition, type: 'Contact' | 'Company'): ContactField {
  const kind = CUSTOM_KINDS[def.type];
  const onRow = (c: string, build: (row: string) => string) => (type === 'Contact' ? raw(build(c)) : companyColumn(build)(c));
  const base = { kind, protectedAs: { type, field: 'customFields' } } as const;
  if (def.type === CustomFieldType.MULTI_SELECT) {
    return {
      ...base,
      values: def.options.map((o) => o.value),
      has: (c, value) => {
        const list = (row: string) => `${row}.custom_fields->'${def.key}'`;
        const test = (row: string) =>
          value == null
            ? `jsonb_typeof(${list(row)}) = 'array' and jsonb_array_length(${list(row)}) > 0`
            : `jsonb_typeof(${list(row)}) = 'array' and jsonb_exists(${list(row)}, ?)`;
        const condition =
          type === 'Contact'
            ? test(c)
            : `exists (select 1 from company co where co.id = ${c}.company_id and co.deleted_at is null and ${test('co')})`;
        return new Sql(condition, value == null ? [] : [value]);
      },
    };
  }
  const expr = (c: string) =>
    onRow(c, (row) => (def.type === CustomFieldType.DATE ? `${customValueExpr(def, row)}::timestamptz` : customValueExpr(def, row)));
  const values = def.type === CustomFieldType.SELECT ? def.options.map((o) => o.value) : undefined;
  return type === 'Company' ? { ...base, values, expr, readsCompany: true } : { ...base, values, expr };
}

export interface CustomFieldsByType {
  Contact: Map<string, CustomFieldDefinition>;
  Company: Map<string, CustomFieldDefinition>;
}

/** The field a path names (`firstName`, `custom.tier`, `company.custom.plan`), or null. */
export function resolveContactField(path: string, custom: CustomFieldsByType): ContactField | null {
  const own = CONTACT_FIELDS[path];
  if (own) return own;
  const contactCustom = /^custom\.([A-Za-z0-9_]+)$/.exec(path);
  if (contactCustom) {
    const def = custom.Contact.get(contactCustom[1]!);
    return def ? customField(def, 'Contact') : null;
  }
  const companyCustom = /^company\.custom\.([A-Za-z0-9_]+)$/.exec(path);
  if (companyCustom) {
    const def = custom.Company.get(companyCustom[1]!);
    return def ? customField(def, 'Company') : null;
  }
  return null;
}
