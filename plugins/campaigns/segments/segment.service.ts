import {
  ErrorCode,
  expectGlobalId,
  expectVersion,
  InputRejected,
  optionalText,
  parseInput,
  readableContactIds,
  sql,
  trimmed,
  userError,
  z,
  type CompiledContactRules,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { CampaignSegment, MemberSource, SegmentKind } from './entities.js';
import { changeMembers } from './membership.js';
import { asSystem, checkSegmentRules, refreshSegment } from './dynamic.js';

export const SEGMENT = 'CampaignSegment';
/** Segments (lists and dynamic ones) per workspace. */
export const MAX_SEGMENTS = 2000;
/** Contacts per add / remove call. */
export const MAX_CONTACTS_PER_CHANGE = 1000;

const name = trimmed(120).pipe(z.string().min(1, { message: 'must not be empty' }));
const createSchema = z.object({
  name,
  description: optionalText(2000),
  kind: z.enum(SegmentKind),
  rules: z.unknown().optional(),
});
const updateSchema = z.object({
  id: z.string(),
  version: z.number().int().nullish(),
  name: name.nullish(),
  description: optionalText(2000),
  rules: z.unknown().optional(),
});
const membersSchema = z.object({
  segmentId: z.string(),
  contactIds: z
    .array(z.string())
    .min(1, { message: 'give at least one contact' })
    .max(MAX_CONTACTS_PER_CHANGE, { message: `at most ${MAX_CONTACTS_PER_CHANGE} contacts per call` }),
});

const workspaceOf = (ctx: RequestContext) => ctx.principal.workspaceId!;

/** A live segment of the workspace by global id, else NOT_FOUND on `field`. */
export async function segmentOrReject(ctx: RequestContext, globalId: string, field = 'id'): Promise<CampaignSegment> {
  const id = expectGlobalId(globalId, SEGMENT, field);
  const segment = await ctx.em.findOne(CampaignSegment, { id, deletedAt: null });
  if (!segment) throw InputRejected.one(field, 'segment not found', ErrorCode.NOT_FOUND);
  return segment;
}

async function rejectTakenName(ctx: RequestContext, segmentName: string, exceptId: string | null): Promise<void> {
  const q = sql`select id from campaign_segment where workspace_id = ${workspaceOf(ctx)} and deleted_at is null
    and lower(name) = lower(${segmentName}) ${exceptId ? sql`and id <> ${exceptId}` : sql``} limit 1`;
  if ((await ctx.em.execute(q.text, q.params)).length)
    throw InputRejected.one('name', `a segment named "${segmentName}" already exists`, ErrorCode.CONFLICT);
}

export async function createSegment(ctx: RequestContext, input: unknown): Promise<CampaignSegment> {
  const data = parseInput(createSchema, input);
  const dynamic = data.kind === SegmentKind.DYNAMIC;
  if (!dynamic && data.rules != null)
    throw InputRejected.one('rules', 'a STATIC list has no rules: its members are added by hand or by import');
  if (dynamic && data.rules == null) throw InputRejected.one('rules', 'a DYNAMIC segment needs rules');
  const compiled = dynamic ? await checkSegmentRules(ctx, data.rules, 'rules') : null;
  await rejectTakenName(ctx, data.name, null);
  const counted = sql`select count(*)::int as n from campaign_segment where workspace_id = ${workspaceOf(ctx)} and deleted_at is null`;
  const [count] = await ctx.em.execute<{ n: number }[]>(counted.text, counted.params);
  if (Number(count?.n ?? 0) >= MAX_SEGMENTS)
    throw InputRejected.one('name', `at most ${MAX_SEGMENTS} segments per workspace`, ErrorCode.CONFLICT);
  const segment = ctx.em.create(CampaignSegment, {
    workspaceId: workspaceOf(ctx),
    name: data.name,
    description: data.description ?? null,
    kind: data.kind,
    rules: dynamic ? data.rules : null,
    createdBy: ctx.principal.userId ?? null,
  } as CampaignSegment);
  await ctx.em.flush();
  if (compiled) {
    await asSystem(ctx.em, segment.workspaceId, (system) => refreshSegment(system, segment, compiled));
    await ctx.em.refresh(segment);
  }
  return segment;
}

export async function updateSegment(ctx: RequestContext, input: unknown): Promise<CampaignSegment> {
  const data = parseInput(updateSchema, input);
  const segment = await segmentOrReject(ctx, data.id, 'id');
  expectVersion(segment.version, data.version);
  let compiled: CompiledContactRules | null = null;
  if (data.rules !== undefined && data.rules !== null) {
    if (segment.kind !== SegmentKind.DYNAMIC)
      throw InputRejected.one('rules', 'a STATIC list has no rules: its members are added by hand or by import');
    compiled = await checkSegmentRules(ctx, data.rules, 'rules');
  }
  if (data.name != null && data.name !== segment.name) {
    await rejectTakenName(ctx, data.name, segment.id);
    segment.name = data.name;
  }
  if (data.description !== undefined) segment.description = data.description;
  if (compiled) segment.rules = data.rules;
  segment.updatedAt = new Date();
  await ctx.em.flush();
  if (compiled) {
    await asSystem(ctx.em, segment.workspaceId, (system) => refreshSegment(system, segment, compiled));
    await ctx.em.refresh(segment);
  }
  return segment;
}

/** Trashes a segment; its members stay recorded (a campaign that sent to it keeps its audience) but nobody enters or leaves it any more. */
export async function deleteSegment(ctx: RequestContext, input: { id: string; version?: number | null }): Promise<CampaignSegment> {
  const segment = await segmentOrReject(ctx, input.id, 'id');
  expectVersion(segment.version, input.version);
  segment.deletedAt = new Date();
  await ctx.em.flush();
  return segment;
}

export async function staticListOrReject(ctx: RequestContext, globalId: string): Promise<CampaignSegment> {
  const segment = await segmentOrReject(ctx, globalId, 'segmentId');
  if (segment.kind !== SegmentKind.STATIC)
    throw InputRejected.one('segmentId', 'the members of a DYNAMIC segment follow its rules: add or remove them on a STATIC list');
  return segment;
}

/** The contacts' uuids; every one must be a live contact the caller may read (else NOT_FOUND naming it, nothing changed). */
async function readableContactsOrReject(ctx: RequestContext, globalIds: readonly string[]): Promise<string[]> {
  const ids = globalIds.map((g, i) => expectGlobalId(g, 'Contact', `contactIds.${i}`));
  const readable = await readableContactIds(ctx, ids);
  const missing = ids.flatMap((id, i) => (readable.has(id) ? [] : [i]));
  if (missing.length)
    throw new InputRejected(
      missing.slice(0, 20).map((i) => userError(['contactIds', String(i)], 'contact not found in this workspace', ErrorCode.NOT_FOUND)),
    );
  return ids;
}

export async function addListMembers(ctx: RequestContext, input: unknown): Promise<{ segment: CampaignSegment; changed: number }> {
  const data = parseInput(membersSchema, input);
  const segment = await staticListOrReject(ctx, data.segmentId);
  const ids = await readableContactsOrReject(ctx, data.contactIds);
  const { added } = await changeMembers(ctx.em, segment, { add: ids, source: MemberSource.MANUAL });
  await ctx.em.refresh(segment);
  return { segment, changed: added.length };
}

export async function removeListMembers(ctx: RequestContext, input: unknown): Promise<{ segment: CampaignSegment; changed: number }> {
  const data = parseInput(membersSchema, input);
  const segment = await staticListOrReject(ctx, data.segmentId);
  const ids = await readableContactsOrReject(ctx, data.contactIds);
  const { removed } = await changeMembers(ctx.em, segment, { remove: ids, source: MemberSource.MANUAL });
  await ctx.em.refresh(segment);
  return { segment, changed: removed.length };
}
