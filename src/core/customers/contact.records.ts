import { Sql, sql, raw } from '../../db/sql.js';
import { defineRecordType } from '../record-types/define-record-type.js';
import { f, sortOn } from '../record-types/filter-kinds.js';
import { stringFilterSql, StringFilter } from '../shared/filters.js';
import { LifecycleStage } from '../shared/value-objects.js';
import { foldText } from '../search/search-text.js';
import { Contact } from './contact.entity.js';
import { ContactNode } from './contact.types.js';
import { visibleSearchText } from './record-scope.js';

/** The full name as SQL, "first last" (either may be missing). */
export const contactNameSql = (alias = 'c') => `concat_ws(' ', ${alias}.first_name, ${alias}.last_name)`;

/** Emails are stored lower-cased, so the filter compares lower-cased values; any of a contact's emails may match. */
const emailFilter = f.custom<StringFilter>(
  () => StringFilter,
  (value, { alias }) => {
    const lower = (s?: string) => s?.toLowerCase();
    const { isNull, ...rest } = { ...value, eq: lower(value.eq), ne: lower(value.ne), in: value.in?.map((v) => v.toLowerCase()) };
    const parts: Sql[] = [];
    const emailParts = stringFilterSql(`(e.value->>'email')`, rest);
    if (emailParts.length)
      parts.push(sql`exists (select 1 from jsonb_array_elements(${raw(alias)}.emails) as e(value) where ${Sql.and(emailParts)})`);
    if (isNull != null) parts.push(raw(`jsonb_array_length(${alias}.emails) ${isNull ? '=' : '>'} 0`));
    return parts;
  },
  { description: "Matches when any of the contact's emails matches." },
);

export const contacts = defineRecordType({
  name: 'Contact',
  node: ContactNode,
  entity: Contact,
  table: 'contact',
  alias: 'c',
  permissions: 'contact',
  filters: {
    name: f.text(contactNameSql, { description: 'The full name, "first last".' }),
    firstName: f.text('first_name'),
    lastName: f.text('last_name'),
    email: emailFilter,
    jobTitle: f.text('job_title'),
    source: f.text('source'),
    company: f.id('company_id', 'Company'),
    owner: f.id('owner_id', 'User'),
    lifecycleStage: f.oneOf('lifecycle_stage', LifecycleStage),
    tags: f.tags({ description: 'Contacts having all of these tags.' }),
    doNotContact: f.boolean('do_not_contact'),
    createdAt: f.dateTime('created_at'),
    updatedAt: f.dateTime('updated_at'),
    custom: f.customFields(),
    // hidden emails and phone numbers are left out of the text the query matches
    query: f.query((ctx, alias) => visibleSearchText(ctx, 'Contact', alias), {
      fold: foldText,
      description: 'Free text, matched like `search`.',
    }),
  },
  sorts: {
    name: sortOn.keys((a) => [`lower(${a}.last_name)`, `lower(${a}.first_name)`], { description: 'Last name, then first name.' }),
    firstName: sortOn.lower('first_name'),
    lastName: sortOn.lower('last_name'),
    email: sortOn.column('primary_email', { description: 'The primary email.' }),
    createdAt: sortOn.column('created_at', { nullable: false }),
    updatedAt: sortOn.column('updated_at', { nullable: false }),
    lifecycleStage: sortOn.column('lifecycle_stage', { nullable: false }),
  },
  // merged contacts stay trashed but are not in the trash (restoring them would undo half a merge)
  softDelete: { trashed: (a) => `${a}.merged_into_id is null` },
  tags: { table: 'contact_tag', column: 'contact_id' },
  customFields: true,
});

export type ContactFilter = InstanceType<typeof contacts.Filter>;
export type ContactOrder = InstanceType<typeof contacts.Order>;
export const ContactFilter = contacts.Filter;
export const ContactOrder = contacts.Order;
export const ContactConnection = contacts.Connection;
