import {
  actAs,
  contactIdsMatching,
  InputRejected,
  Sql,
  sql,
  validateContactRules,
  type CompiledContactRules,
  type PluginContext,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { CampaignSegment, MemberSource, SegmentKind } from './entities.js';
import { changeMembers, memberIds } from './membership.js';

/** Ids per batch when a segment is computed in full. */
const BATCH = 10_000;
/** How long compiled rules are reused (custom field definitions they resolved may change meanwhile). */
const COMPILED_TTL_MS = 60_000;

/** Rules as their author saves them: checked with the author's field allowlist (hidden fields are FORBIDDEN). */
export function checkSegmentRules(ctx: RequestContext, rules: unknown, path: string): Promise<CompiledContactRules> {
  return validateContactRules(ctx, rules, path);
}

/** The system's view of the workspace: membership is the same whoever looks (scope applies to who sees members). */
export function asSystem<T>(em: RequestContext['em'], workspaceId: string, work: (ctx: RequestContext) => Promise<T>): Promise<T> {
  return actAs({ workspaceId, em } as PluginContext, null, work);
}

const compiledCache = new Map<string, { compiled: CompiledContactRules | null; at: number }>();

/**
 * A live dynamic segment's rules compiled for the system, reused for a minute per version. Stored rules that no
 * longer compile (a custom field they name was deleted) give null: the segment's members stay as they are.
 */
export async function compiledRules(ctx: RequestContext, segment: CampaignSegment): Promise<CompiledContactRules | null> {
  const key = `${segment.workspaceId}:${segment.id}:${segment.version}`;
  const cached = compiledCache.get(key);
  if (cached && Date.now() - cached.at < COMPILED_TTL_MS) return cached.compiled;
  let compiled: CompiledContactRules | null = null;
  try {
    compiled = await validateContactRules(ctx, segment.rules, 'rules');
  } catch (error) {
    if (!(error instanceof InputRejected)) throw error;
  }
  if (compiledCache.size > 5000) compiledCache.clear();
  compiledCache.set(key, { compiled, at: Date.now() });
  return compiled;
}

/** Live dynamic segments of the workspace, oldest first. */
export async function dynamicSegments(em: RequestContext['em'], workspaceId: string): Promise<CampaignSegment[]> {
  return em.find(
    CampaignSegment,
    { workspaceId, kind: SegmentKind.DYNAMIC, deletedAt: null },
    { orderBy: { createdAt: 'asc', id: 'asc' } },
  );
}

/**
 * Computes a dynamic segment's membership in full and applies the difference (entry and exit events for the contacts
 * that changed). Walks matching contacts and current members in id order, 10,000 at a time. `system` sees the whole
 * workspace (`asSystem`, or `actAs(context, null, …)` in background work).
 */
export async function refreshSegment(
  system: RequestContext,
  segment: CampaignSegment,
  compiled?: CompiledContactRules | null,
  now = new Date(),
): Promise<{ added: number; removed: number }> {
  const rules = compiled ?? (await compiledRules(system, segment));
  if (!rules) return { added: 0, removed: 0 };
  const matching = new Set<string>();
  for (let after: string | undefined; ; ) {
    const ids = await contactIdsMatching(system, rules, { after, limit: BATCH, now });
    for (const id of ids) matching.add(id);
    if (ids.length < BATCH) break;
    after = ids.at(-1);
  }
  const remove: string[] = [];
  const current = new Set<string>();
  for (let after: string | null = null; ; ) {
    const ids = await memberIds(system.em, segment, after, BATCH);
    for (const id of ids) {
      current.add(id);
      if (!matching.has(id)) remove.push(id);
    }
    if (ids.length < BATCH) break;
    after = ids.at(-1)!;
  }
  const add = [...matching].filter((id) => !current.has(id));
  const changed = await changeMembers(system.em, segment, { add, remove, source: MemberSource.RULES }, now);
  const stamp = sql`update campaign_segment set evaluated_at = ${now.toISOString()} where workspace_id = ${segment.workspaceId} and id = ${segment.id}`;
  await system.em.execute(stamp.text, stamp.params);
  return { added: changed.added.length, removed: changed.removed.length };
}

/** Re-evaluates a segment for a few contacts (those an event touched). */
export async function reevaluateContacts(
  system: RequestContext,
  segment: CampaignSegment,
  compiled: CompiledContactRules,
  contactIds: readonly string[],
  now = new Date(),
): Promise<{ added: string[]; removed: string[] }> {
  const matching = new Set(await contactIdsMatching(system, compiled, { among: contactIds, now }));
  const q = sql`select contact_id from campaign_segment_member where workspace_id = ${segment.workspaceId} and segment_id = ${segment.id}
    and contact_id in (${Sql.join(
      contactIds.map((id) => sql`${id}`),
      ', ',
    )})`;
  const current = new Set((await system.em.execute<{ contact_id: string }[]>(q.text, q.params)).map((r) => r.contact_id));
  return changeMembers(
    system.em,
    segment,
    {
      add: contactIds.filter((id) => matching.has(id) && !current.has(id)),
      remove: contactIds.filter((id) => current.has(id) && !matching.has(id)),
      source: MemberSource.RULES,
    },
    now,
  );
}
