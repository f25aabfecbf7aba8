import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { ConnectionArgs, Connection, pageRequest, toConnection } from '../../graphql/relay.js';
import { expectGlobalId, parseGlobalId, toGlobalId, UUID } from '../../graphql/global-id.js';
import { keysetPage } from '../../graphql/keyset-page.js';
import { likeEscape, sql, Sql } from '../../db/sql.js';
import { User } from '../identity/user.entity.js';
import { UserNode } from '../identity/user.types.js';
import { AuditEntryNode, AuditLogFilter, type AuditRow } from './audit.types.js';

export const AuditEntryConnection = Connection(AuditEntryNode, 'AuditEntry');

const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);

/** Leaves out the changed values of fields the caller's field allowlist hides (`annualRevenue` covers `annualRevenueAmount`…). */
function withoutHidden(ctx: RequestContext, objectType: string | null, changes: unknown): unknown {
  if (!objectType || !changes || typeof changes !== 'object') return changes;
  const hidden = [...ctx.principal.access.hiddenFields(objectType)];
  if (!hidden.length) return changes;
  return Object.fromEntries(Object.entries(changes).filter(([field]) => !hidden.some((h) => field === h || field.startsWith(h))));
}

function toNode(ctx: RequestContext, row: Record<string, unknown>): AuditEntryNode {
  const r = row as unknown as AuditRow;
  const node = new AuditEntryNode();
  node.id = toGlobalId('AuditEntry', r.id);
  node.occurredAt = r.occurred_at instanceof Date ? r.occurred_at : new Date(r.occurred_at);
  node.action = r.action;
  node.objectType = r.object_type;
  node.objectId = r.object_id && r.object_type && UUID.test(r.object_id) ? toGlobalId(r.object_type, r.object_id) : r.object_id;
  node.actorUserId = r.actor_user_id;
  node.apiKeyId = r.actor_api_key_id;
  node.changes = withoutHidden(ctx, r.object_type, json(r.changes));
  node.metadata = json(r.metadata);
  return node;
}

/** The filter's conditions; every one is indexed together with the workspace (see audit-entry.entity.ts). */
export function auditConditions(workspaceId: string, filter: AuditLogFilter | null | undefined): Sql[] {
  const where: Sql[] = [sql`a.workspace_id = ${workspaceId}`];
  if (!filter) return where;
  if (filter.objectType) where.push(sql`a.object_type = ${filter.objectType}`);
  if (filter.objectId) {
    const parsed = parseGlobalId(filter.objectId);
    const raw = filter.objectId.trim();
    if (!parsed && (raw.length === 0 || raw.length > 200))
      throw InputRejected.one('filter.objectId', 'is not a valid id', ErrorCode.BAD_USER_INPUT);
    const id = parsed?.id ?? (UUID.test(raw) ? raw.toLowerCase() : raw);
    where.push(sql`a.object_id = ${id}`);
  }
  if (filter.actor) where.push(sql`a.actor_user_id = ${expectGlobalId(filter.actor, 'User', 'filter.actor')}`);
  if (filter.action) {
    where.push(filter.action.endsWith('.') ? sql`a.action like ${`${likeEscape(filter.action)}%`}` : sql`a.action = ${filter.action}`);
  }
  if (filter.from && filter.to && filter.from > filter.to) throw InputRejected.one('filter.to', 'must not be before `from`');
  if (filter.from) where.push(sql`a.occurred_at >= ${filter.from.toISOString()}`);
  if (filter.to) where.push(sql`a.occurred_at < ${filter.to.toISOString()}`);
  return where;
}

@Resolver(() => AuditEntryNode)
export class AuditResolver {
  @Query(() => AuditEntryConnection, { description: "The workspace's audit log, newest first. Needs `audit:read`." })
  async auditLog(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => AuditLogFilter, { nullable: true }) filter: AuditLogFilter | null,
    @Ctx() ctx: RequestContext,
  ) {
    const where = auditConditions(workspaceOf(ctx), filter);
    const result = await keysetPage(
      ctx.em,
      {
        from: 'audit_log a',
        select: 'a.id, a.occurred_at, a.actor_user_id, a.actor_api_key_id, a.action, a.object_type, a.object_id, a.changes, a.metadata',
        where: Sql.and(where),
        orderBy: [{ expr: 'a.occurred_at', direction: 'DESC', nullable: false }],
        idExpr: 'a.id',
      },
      pageRequest(page),
      (row) => toNode(ctx, row),
    );
    return toConnection(result);
  }

  @FieldResolver(() => UserNode, { nullable: true })
  actor(@Root() entry: AuditEntryNode, @Ctx() ctx: RequestContext) {
    return entry.actorUserId ? ctx.loaders.byId(User).load(entry.actorUserId) : null;
  }
}
