import { defineRecordType, expectGlobalId, f, raw, sortOn, sql } from '../../../src/sdk/index.js';
import { Deal, DealPriority, DealStatus } from '../entities.js';
import { DEAL, PIPELINE, PIPELINE_STAGE } from './deal-scope.js';
import { DealNode } from './deal.types.js';

/** Deals as a record type: the `deals` list, `Company.deals` / `Contact.deals`, loaders, update preconditions, the trash. */
export const deals = defineRecordType({
  name: DEAL,
  node: DealNode,
  entity: Deal,
  table: 'deal',
  alias: 'd',
  permissions: 'deal',
  filters: {
    pipeline: f.id('pipeline_id', PIPELINE),
    stage: f.id('stage_id', PIPELINE_STAGE),
    owner: f.id('owner_id', 'User'),
    company: f.id('company_id', 'Company'),
    contact: f.custom<string>(
      () => String,
      (contact, { alias, path }) => [
        sql`exists (select 1 from deal_contact fc where fc.deal_id = ${raw(alias)}.id and fc.contact_id = ${expectGlobalId(contact, 'Contact', path)})`,
      ],
      { description: 'Deals this contact is on.' },
    ),
    status: f.oneOf('status', DealStatus),
    priority: f.oneOf('priority', DealPriority),
    amount: f.money('amount', 'currency'),
    expectedCloseDate: f.dateRange('expected_close_date'),
    name: f.text('name'),
    query: f.query((_ctx, a) => `lower(${a}.name)`, { description: 'Free text matched against the name (substring or similar).' }),
    tags: f.tags({ description: 'Deals having all of these tags.' }),
    createdAt: f.dateTime('created_at'),
    updatedAt: f.dateTime('updated_at'),
    custom: f.customFields(),
  },
  sorts: {
    name: sortOn.lower('name', { nullable: false }),
    amount: sortOn.column('amount'),
    expectedCloseDate: sortOn.column('expected_close_date'),
    createdAt: sortOn.column('created_at', { nullable: false }),
    updatedAt: sortOn.column('updated_at', { nullable: false }),
    stageEnteredAt: sortOn.column('stage_entered_at', { nullable: false }),
  },
  sortDescription: 'AMOUNT sorts by minor units whatever the currency: filter by currency to compare.',
  softDelete: true,
  tags: { table: 'deal_tag', column: 'deal_id' },
  customFields: true,
});

export type DealFilter = InstanceType<typeof deals.Filter>;
export type DealOrder = InstanceType<typeof deals.Order>;
export const DealFilter = deals.Filter;
export const DealOrder = deals.Order;
export const DealConnection = deals.Connection;
