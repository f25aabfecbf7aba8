/**
 * The public plugin SDK: the only kernel module that plugins (built-in and third-party) import. A curated list:
 * whatever is not re-exported here is kernel-internal and may change without notice (test/plugin-host/plugin-boundary.test.ts
 * fails on any plugin file importing from src/ other than src/sdk). Plugins' tests import the contract test kit from
 * `crm-kernel/sdk/testing` (src/sdk/testing.ts), which this module does not re-export.
 */
import 'reflect-metadata'; // decorator metadata (type-graphql, MikroORM) before any decorated class is defined

// The manifest: definePlugin and the types of everything a plugin declares (hooks, subscribers, jobs, events, lifecycle).
export * from '../plugin-host/manifest.js';

// The kernel's domain events as typed tokens: `subscribe(activityLogged, { name, handle })`.
export * from '../events/kernel-events.js';

// zod, the same instance the host validates settings with.
export { z } from 'zod';

// The per-request context resolvers receive (principal, workspace, entity manager, loaders).
export type { RequestContext } from '../graphql/context.js';

// Writes: one transaction per mutation; rejected input comes back as typed `userErrors`, nothing written.
export { runMutation } from '../core/shared/mutation.js';

// Errors: user errors for mutation payloads, GraphQL errors with a machine-readable `extensions.code`.
export { ErrorCode, InputRejected, UserError, graphqlError, userError } from '../graphql/errors.js';

// Opaque global ids (`node(id:)`).
export { expectGlobalId, toGlobalId } from '../graphql/global-id.js';

// Relay connections: the Node interface, connection types and arguments, paging.
export { Connection, ConnectionArgs, Node, pageRequest, toConnection, type Page, type PageRequest } from '../graphql/relay.js';

// SQL: parameterised fragments (`?` placeholders), keyset pages, rows read back into entities.
export { Sql, likeEscape, raw, sql } from '../db/sql.js';
export { keysetPage, type ListQuery, type SortKey } from '../graphql/keyset-page.js';
export { readRow, readRows } from '../db/read-rows.js';

// Entities: base classes of workspace-owned rows and the tenant filter every one of them carries.
export { EditableTenantEntity, TenantEntity, TenantFilter } from '../core/shared/tenant-entity.js';

// Authorization: shield rules for the plugin's fields (deny by default) and their declarations.
export { anyone, requires, signedIn, type ShieldRule } from '../graphql/shield/rules.js';
export type { RuleDeclarations, TypeRules } from '../graphql/shield/declarations.js';
/** Several declarations as one (a plugin's areas); a field declared twice is an error. */
export { mergeDeclarations as mergeRuleDeclarations } from '../graphql/shield/apply-shield.js';

// Record types: one declaration gives a complete list API (filters, sorts, scope, tags, custom fields, trash, loaders).
export {
  defineRecordType,
  type FilterValues,
  type OrderValue,
  type ParentLink,
  type RecordType,
  type RecordTypeDefinition,
} from '../core/record-types/define-record-type.js';
export { recordTypeQueries, recordTypeQueryRules, type RecordTypeQueryNames } from '../core/record-types/record-type-queries.js';
export { f, sortOn, type Column, type FilterKind, type FilterTarget, type SortKind } from '../core/record-types/filter-kinds.js';
export { DateRangeFilter, MoneyRangeFilter, isCalendarDate } from '../core/shared/filters.js';
// The kernel's own record types (their `readable` loaders apply the caller's scope).
export { contacts } from '../core/customers/contact.records.js';
export { companies } from '../core/customers/company.records.js';

// Kernel GraphQL types a plugin extends with field resolvers (`@Resolver(() => ContactNode)` + `@FieldResolver`).
export { ContactNode } from '../core/customers/contact.types.js';
export { CompanyNode } from '../core/customers/company.types.js';

// Timeline: record entries on contacts, companies and other records.
export { recordTimelineEvent, type TimelineEventInput, type TimelineTarget } from '../core/timeline/timeline.service.js';

// Search: providers that add a plugin's records to global search.
export type { SearchProvider, SearchRequest, SearchResult } from '../core/search/search-provider.js';

// Migrations: the base class, and row-level security for every new table with a workspace_id column.
export { Migration } from '@mikro-orm/migrations';
export { tenantRlsSql } from '../db/rls/index.js';

// Kernel services: plugin events, kernel writes from background work (actAs), scope, validation, custom fields, tags, settings.
export * from './kernel-api.js';
