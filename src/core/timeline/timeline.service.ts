import { keysetPage, keysetPagesByParent, type ListQuery } from '../../graphql/keyset-page.js';
import { z } from 'zod';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { TimelineEvent } from './timeline-event.entity.js';
import { TimelineEntryKind, TimelineLink } from './timeline-link.entity.js';
import type { Activity } from '../activities/activity.entity.js';
import { readable, readableActivitySql } from '../customers/record-scope.js';
import { nodeTypesOf } from '../../graphql/node-registry.js';
import { eventsOf } from '../../events/registry.js';
import { entryTypesByPlugin } from './entry-types.js';
import { Sql, sql } from '../../db/sql.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { parseGlobalId, UUID } from '../../graphql/global-id.js';
import { pageRequest, type ConnectionArgs, type Page } from '../../graphql/relay.js';
import { parseInput, trimmed } from '../shared/validation.js';

/** A record whose timeline shows an entry: its GraphQL type name and uuid. */
export interface TimelineTarget {
  type: string;
  id: string;
}

export interface TimelineEventInput {
  /** Namespaced event type, e.g. `deal.stageChanged`. */
  entryType: string;
  title: string;
  body?: string | null;
  data?: Record<string, unknown>;
  occurredAt?: Date;
  /** uuid of the user who caused the event, if any. */
  actorId?: string | null;
  /** Records whose timelines show the event (type name + uuid). */
  targets: TimelineTarget[];
}

const uuid = z.string().regex(UUID, { message: 'must be a uuid' });
const eventSchema = z.object({
  entryType: z
    .string()
    .regex(/^[a-z][a-zA-Z0-9]*(\.[a-zA-Z0-9]+)+$/, { message: 'must be namespaced, e.g. deal.stageChanged' })
    .max(80),
  title: trimmed(500).pipe(z.string().min(1, { message: 'must not be empty' })),
  body: z.string().max(100_000).nullish(),
  data: z.record(z.string(), z.unknown()).default({}),
  occurredAt: z.date().optional(),
  actorId: uuid.nullish(),
  targets: z
    .array(z.object({ type: z.string().regex(/^[A-Z][A-Za-z0-9]{0,39}$/, { message: 'must be a GraphQL type name' }), id: uuid }))
    .min(1, { message: 'at least one target' })
    .max(50, { message: 'at most 50 targets' }),
});

/**
 * Kernel API for plugins: records an event (a deal changed stage, a ticket was answered…) on the timelines of
 * its targets. Call it inside the plugin's own transaction (pass the mutation's tx context or entity manager)
 * so the event is written together with the change it describes.
 */
export async function recordTimelineEvent(ctxOrEm: RequestContext | SqlEntityManager, input: TimelineEventInput): Promise<TimelineEvent> {
  const em = 'em' in ctxOrEm && 'loaders' in ctxOrEm ? ctxOrEm.em : (ctxOrEm as SqlEntityManager);
  const workspaceId = 'principal' in ctxOrEm ? workspaceOf(ctxOrEm) : em.getFilterParams<{ workspaceId?: string }>('tenant')?.workspaceId;
  if (!workspaceId) throw new Error('recordTimelineEvent needs an entity manager scoped to a workspace');
  const data = parseInput(eventSchema, input);
  const event = em.create(TimelineEvent, {
    workspaceId,
    entryType: data.entryType,
    title: data.title,
    body: data.body ?? null,
    data: data.data,
    occurredAt: data.occurredAt ?? new Date(),
    actorId: data.actorId?.toLowerCase() ?? null,
  });
  linkEntry(
    em,
    workspaceId,
    { kind: TimelineEntryKind.EVENT, id: event.id, type: event.entryType, occurredAt: event.occurredAt },
    data.targets,
  );
  await em.flush();
  return event;
}

interface EntryRef {
  kind: TimelineEntryKind;
  id: string;
  type: string;
  occurredAt: Date;
}

/** Persists (on the next flush) one link per distinct target. */
export function linkEntry(em: SqlEntityManager, workspaceId: string, entry: EntryRef, targets: TimelineTarget[]): void {
  const seen = new Set<string>();
  for (const target of targets) {
    const key = `${target.type}:${target.id.toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    em.create(TimelineLink, {
      workspaceId,
      targetType: target.type,
      targetId: target.id.toLowerCase(),
      entryKind: entry.kind,
      entryId: entry.id,
      entryType: entry.type,
      occurredAt: entry.occurredAt,
    });
  }
}

/** Keeps the copies of an entry's type and time on its links in step with the entry. */
export async function syncLinks(em: SqlEntityManager, entryId: string, entryType: string, occurredAt: Date): Promise<void> {
  await em.execute('update timeline_link set entry_type = ?, occurred_at = ?, updated_at = now() where entry_id = ?', [
    entryType,
    occurredAt,
    entryId,
  ]);
}

export async function replaceLinks(em: SqlEntityManager, workspaceId: string, entry: EntryRef, targets: TimelineTarget[]): Promise<void> {
  await em.execute('delete from timeline_link where entry_id = ? and workspace_id = ?', [entry.id, workspaceId]);
  linkEntry(em, workspaceId, entry, targets);
  await em.flush();
}

/**
 * Entries of deleted activities stay linked (restore brings them back) but are hidden from timelines. Asking for
 * "no deleted activity with this id" lets PostgreSQL hash the few deleted activities instead of probing per row.
 */
const LIVE_ENTRY = `(l.entry_kind <> '${TimelineEntryKind.ACTIVITY}' or not exists (select 1 from activity a where a.id = l.entry_id and a.deleted_at is not null))`;

/** Which entry a link points at. */
type LinkedEntry = Pick<EntryRef, 'kind' | 'id'>;

/** Entry types of plugins disabled in the caller's workspace: their entries are left out of timelines. */
async function hiddenEntryTypes(ctx: RequestContext): Promise<string[]> {
  const workspaceId = workspaceOf(ctx);
  const hidden: string[] = [];
  for (const [plugin, types] of entryTypesByPlugin(ctx.em))
    if (!(await eventsOf(ctx.em).isPluginEnabled(workspaceId, plugin))) hidden.push(...types);
  return hidden;
}

/** Timeline links of one target type, newest first (the target itself is added by the caller). */
function timelineQuery(ctx: RequestContext, targetType: string, types: string[] | null | undefined, hidden: string[]): ListQuery {
  const parts: Sql[] = [
    sql`l.workspace_id = ${workspaceOf(ctx)}`,
    sql`l.target_type = ${targetType}`,
    new Sql(LIVE_ENTRY),
    // activities the caller may not read drop out of every timeline (plugin events stay)
    sql`(l.entry_kind <> ${TimelineEntryKind.ACTIVITY} or ${readableActivitySql(ctx, 'l.entry_id')})`,
  ];
  if (hidden.length)
    parts.push(
      sql`(l.entry_kind <> ${TimelineEntryKind.EVENT} or l.entry_type not in (${Sql.join(
        hidden.map((t) => sql`${t}`),
        ', ',
      )}))`,
    );
  if (types) {
    if (types.length > 50) throw InputRejected.one('types', 'at most 50 types');
    parts.push(
      types.length
        ? sql`l.entry_type in (${Sql.join(
            types.map((t) => sql`${t}`),
            ', ',
          )})`
        : sql`false`,
    );
  }
  // both sort columns are NOT NULL: the page walks timeline_link_target_idx backwards and stops after one page
  return {
    from: 'timeline_link l',
    select: 'l.entry_kind, l.entry_id',
    where: Sql.and(parts),
    orderBy: [{ expr: 'l.occurred_at', direction: 'DESC', nullable: false }],
    idExpr: 'l.entry_id',
  };
}

const linkedEntry = (row: Record<string, unknown>): LinkedEntry => ({
  kind: row.entry_kind as TimelineEntryKind,
  id: row.entry_id as string,
});

/** Loads the entries a page of links points at, batched per kind. */
async function withEntries(ctx: RequestContext, page: Page<LinkedEntry>): Promise<Page<Activity | TimelineEvent>> {
  const entries = await Promise.all(
    page.nodes.map((ref) =>
      (ref.kind === TimelineEntryKind.ACTIVITY ? readable(ctx, 'Activity') : ctx.loaders.byId(TimelineEvent)).load(ref.id),
    ),
  );
  // an entry deleted between the two reads drops out of the page together with its cursor
  const kept = entries.map((e, i) => [e, page.cursors[i]!] as const).filter(([e]) => e != null);
  return { ...page, nodes: kept.map(([e]) => e!), cursors: kept.map(([, c]) => c) };
}

/** One page of a record's timeline, newest first; entries are loaded per kind in one query each. */
export async function timelinePage(
  ctx: RequestContext,
  target: TimelineTarget,
  args: ConnectionArgs,
  types?: string[] | null,
): Promise<Page<Activity | TimelineEvent>> {
  const request = pageRequest(args);
  const query = timelineQuery(ctx, target.type, types, await hiddenEntryTypes(ctx));
  if (!(await targetReadable(ctx, target))) return emptyPage();
  const page = await keysetPage(ctx.em, { ...query, where: Sql.and([query.where, sql`l.target_id = ${target.id}`]) }, request, linkedEntry);
  return withEntries(ctx, page);
}

/**
 * Whether the caller may see a record's timeline: contacts and companies in their read scope, plugin records
 * their node loader returns (with its type's read permission). Types without a node loader cannot be judged
 * and stay visible (their events carry no owner).
 */
async function targetReadable(ctx: RequestContext, target: TimelineTarget): Promise<boolean> {
  if (target.type === 'Contact' || target.type === 'Company') return (await readable(ctx, target.type).load(target.id)) != null;
  const load = nodeTypesOf(ctx).loader(target.type);
  if (!load) return true;
  const permission = nodeTypesOf(ctx).permission(target.type);
  if (permission && !ctx.principal.access.can(permission)) return false;
  return (await load(ctx, target.id)) != null;
}

function emptyPage<T>(): Page<T> {
  return {
    nodes: [],
    cursors: [],
    pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    count: async () => 0,
  };
}

/** Timeline pages of every record of a list (e.g. `companies { nodes { timeline } }`) in one statement. */
export function timelinePagesLoader(ctx: RequestContext, targetType: string, args: ConnectionArgs, types?: string[] | null) {
  const request = pageRequest(args);
  return ctx.loaders.get<string, Page<Activity | TimelineEvent>>(
    `timeline.${targetType}.${JSON.stringify([args, types])}`,
    async (ids, c) => {
      const pages = await keysetPagesByParent(
        c.em,
        timelineQuery(c, targetType, types, await hiddenEntryTypes(c)),
        'l.target_id',
        ids,
        request,
        linkedEntry,
      );
      return Promise.all(pages.map((page) => withEntries(c, page)));
    },
  );
}

/** Parses a global id naming any record type, for timelines of plugin records too. */
export function timelineTargetOf(globalId: string, field = 'targetId'): TimelineTarget {
  const parsed = parseGlobalId(globalId);
  if (!parsed) throw InputRejected.one(field, 'is not a valid id', ErrorCode.BAD_USER_INPUT);
  return parsed;
}
