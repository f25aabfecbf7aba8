import type DataLoader from 'dataloader';
import { raw, sql, type Sql } from '../../db/sql.js';
import type { RequestContext } from '../../graphql/context.js';
import { ErrorCode, graphqlError } from '../../graphql/errors.js';
import { protectedFields } from '../../permissions/protected-fields.js';
import { Company } from './company.entity.js';
import { Contact } from './contact.entity.js';
import { Activity } from '../activities/activity.entity.js';
import { Comment } from '../comments/comment.entity.js';

/**
 * Record scope of the kernel's owned records, applied inside SQL: which columns hold a record's owners and
 * which permission reads, edits and deletes it. Every list, count, loader, search, export and mutation of
 * contacts, companies and activities goes through these conditions.
 */
export interface RecordScope {
  type: string;
  read: string;
  update: string;
  delete: string;
  /** Columns holding the user ids a record belongs to (any of them makes it "own"). */
  owners: string[];
}

export const CONTACT_SCOPE: RecordScope = {
  type: 'Contact',
  read: 'contact:read',
  update: 'contact:update',
  delete: 'contact:delete',
  owners: ['owner_id'],
};
export const COMPANY_SCOPE: RecordScope = {
  type: 'Company',
  read: 'company:read',
  update: 'company:update',
  delete: 'company:delete',
  owners: ['owner_id'],
};
/** An activity belongs to its assignee and to whoever logged it. */
export const ACTIVITY_SCOPE: RecordScope = {
  type: 'Activity',
  read: 'activity:read',
  update: 'activity:update',
  delete: 'activity:delete',
  owners: ['assignee_id', 'created_by_id'],
};

export const RECORD_SCOPES: Record<string, RecordScope> = { Contact: CONTACT_SCOPE, Company: COMPANY_SCOPE, Activity: ACTIVITY_SCOPE };

/** The SQL condition limiting rows of `alias` to what the caller's `permission` reaches (false without it). */
export function scopeSql(ctx: RequestContext, scope: RecordScope, permission: string, alias: string): Sql {
  return ctx.principal.access.rowCondition(
    permission,
    scope.owners.map((c) => `${alias}.${c}`),
  );
}

export const readScopeSql = (ctx: RequestContext, scope: RecordScope, alias: string) => scopeSql(ctx, scope, scope.read, alias);

/** Activities the caller may read, as a condition on an activity id expression (e.g. a timeline link's entry). */
export function readableActivitySql(ctx: RequestContext, activityIdExpr: string): Sql {
  if (ctx.principal.access.scope(ACTIVITY_SCOPE.read) === 'ALL') return sql`true`;
  if (!ctx.principal.access.can(ACTIVITY_SCOPE.read)) return sql`false`;
  return sql`exists (select 1 from activity sa where sa.id = ${raw(activityIdExpr)} and ${readScopeSql(ctx, ACTIVITY_SCOPE, 'sa')})`;
}

const classes = { Contact, Company, Activity } as const;
type Scoped = { Contact: Contact; Company: Company; Activity: Activity };

/** A loader of the caller's readable contacts, companies or activities by id: out-of-scope ids resolve to null. */
export function readable<K extends keyof Scoped>(ctx: RequestContext, type: K): DataLoader<string, Scoped[K] | null> {
  const scope = RECORD_SCOPES[type]!;
  return ctx.loaders.byIdWhere(classes[type] as never, scope.read, (c) => readScopeSql(c, scope, 't')) as DataLoader<
    string,
    Scoped[K] | null
  >;
}

/** Comments are readable with the activity they belong to. */
export function readableComments(ctx: RequestContext): DataLoader<string, Comment | null> {
  return ctx.loaders.byIdWhere(Comment, 'activity:read', (c) => readableActivitySql(c, 't.activity_id'));
}

/**
 * Whether the caller's `permission` reaches a loaded record (writes: out of scope reads as NOT_FOUND). The scope is not
 * read (the caller passes the record's owners); the parameter stays for the SDK's signature.
 */
export function reaches(ctx: RequestContext, _scope: RecordScope, permission: string, owners: (string | null | undefined)[]): boolean {
  return ctx.principal.access.reaches(permission, owners);
}

// ---------- probes through filters and sort keys ----------

const normal = (s: string) => s.replace(/_/g, '').toLowerCase();

/**
 * Refuses (FORBIDDEN) a list query whose filter keys or sort fields read a field the caller's allowlist hides, so
 * hidden values cannot be probed by filtering or sorting. Runs before any SQL.
 */
export function rejectProbes(
  ctx: RequestContext,
  type: string,
  filter: object | null | undefined,
  orderBy: { field?: string | null; customField?: string | null }[] | null | undefined,
): void {
  const hidden = ctx.principal.access.hiddenFields(type);
  if (!hidden.size) return;
  for (const name of hidden) {
    const field = protectedFields.get(type, name);
    if (!field) continue;
    for (const key of field.filterKeys ?? []) {
      if (filter && (filter as Record<string, unknown>)[key] != null) {
        throw graphqlError(ErrorCode.FORBIDDEN, `filter.${key} reads ${type}.${name}, which is hidden by your field allowlist.`, {
          field: `filter.${key}`,
        });
      }
    }
    for (const o of orderBy ?? []) {
      const sorted = o.field != null && (field.sortFields ?? []).some((s) => normal(s) === normal(o.field!));
      if (sorted || (field.customSort && o.customField != null)) {
        throw graphqlError(
          ErrorCode.FORBIDDEN,
          `sorting by ${o.field ?? `customField ${o.customField}`} reads ${type}.${name}, which is hidden by your field allowlist.`,
          {
            field: 'orderBy',
          },
        );
      }
    }
  }
}

/** Whether search may match on a protected search key (`email`, `phone`) of a type for this caller. */
export function canSearchOn(ctx: RequestContext, type: string, searchKey: string): boolean {
  const hidden = ctx.principal.access.hiddenFields(type);
  return !protectedFields.of(type).some((f) => f.searchKey === searchKey && hidden.has(f.field));
}

/**
 * The folded search text of a row that the caller may match on: `search_text` without the email tokens and / or
 * the phone-digit tokens when those fields are hidden. (Without the trigram index then: only restricted roles pay.)
 */
export function visibleSearchText(ctx: RequestContext, type: string, alias: string): string {
  let expr = `${alias}.search_text`;
  if (!canSearchOn(ctx, type, 'email')) expr = `regexp_replace(${expr}, '\\S*@\\S*', '', 'g')`;
  if (!canSearchOn(ctx, type, 'phone')) expr = `regexp_replace(${expr}, '\\m[0-9]+\\M', '', 'g')`;
  return expr;
}
