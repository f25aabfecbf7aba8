import { Sql, sql, raw } from '../../db/sql.js';
import { defineRecordType } from '../record-types/define-record-type.js';
import { f, sortOn } from '../record-types/filter-kinds.js';
import { stringFilterSql, StringFilter } from '../shared/filters.js';
import { LifecycleStage } from '../shared/value-objects.js';
import { foldText } from '../search/search-text.js';
import { Company } from './company.entity.js';
import { CompanyNode } from './company.types.js';
import { visibleSearchText } from './record-scope.js';

export const companies = defineRecordType({
  name: 'Company',
  node: CompanyNode,
  entity: Company,
  table: 'company',
  alias: 'c',
  permissions: 'company',
  plural: 'companies',
  filters: {
    name: f.text('name'),
    domain: f.custom<StringFilter>(
      () => StringFilter,
      (value, { alias }) => {
        const parts: Sql[] = stringFilterSql('d', value);
        return parts.length ? [sql`exists (select 1 from unnest(${raw(alias)}.domains) d where ${Sql.and(parts)})`] : [];
      },
    ),
    industry: f.text('industry'),
    employeeCount: f.number('employee_count'),
    annualRevenue: f.number('annual_revenue_amount', { description: 'Annual revenue in minor units.' }),
    lifecycleStage: f.oneOf('lifecycle_stage', LifecycleStage),
    owner: f.id('owner_id', 'User'),
    tags: f.tags({ description: 'Companies having all of these tags.' }),
    createdAt: f.dateTime('created_at'),
    updatedAt: f.dateTime('updated_at'),
    custom: f.customFields(),
    // hidden phone numbers are left out of the text the query matches
    query: f.query((ctx, alias) => visibleSearchText(ctx, 'Company', alias), {
      fold: foldText,
      description: 'Free text, matched like `search`.',
    }),
  },
  sorts: {
    name: sortOn.lower('name', { nullable: false }),
    createdAt: sortOn.column('created_at', { nullable: false }),
    updatedAt: sortOn.column('updated_at', { nullable: false }),
    employeeCount: sortOn.column('employee_count'),
    annualRevenue: sortOn.column('annual_revenue_amount'),
    industry: sortOn.column('industry'),
    lifecycleStage: sortOn.column('lifecycle_stage'),
  },
  softDelete: { trashed: (a) => `${a}.merged_into_id is null` },
  tags: { table: 'company_tag', column: 'company_id' },
  customFields: true,
});

export type CompanyFilter = InstanceType<typeof companies.Filter>;
export type CompanyOrder = InstanceType<typeof companies.Order>;
export const CompanyFilter = companies.Filter;
export const CompanyOrder = companies.Order;
export const CompanyConnection = companies.Connection;
