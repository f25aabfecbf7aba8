import {
  companyOrReject as kernelCompanyOrReject,
  definitionsFor,
  emitEvent,
  ErrorCode,
  expectGlobalId,
  InputRejected,
  memberIds,
  memberOrReject,
  mergeCustomValues,
  money,
  optionalText,
  parseInput,
  readableContactIds,
  recordTimelineEvent,
  resolveTagIds,
  setTags,
  runBeforeHooks,
  Sql,
  sql,
  trimmed,
  z,
  isCalendarDate,
  type ConnectionArgs,
  type EventType,
  type RequestContext,
  type TimelineTarget,
} from '../../../src/sdk/index.js';
import { Deal, DealPriority, DealStatus, Pipeline, PipelineStage, StageKind } from '../entities.js';
import { DEAL, DEAL_SCOPE, PIPELINE, PIPELINE_STAGE } from './deal-scope.js';
import { dealCreated, dealDeleted, dealLost, dealReopened, dealStageChanged, dealUpdated, dealWon } from '../events.js';
import { enterStage, openStay, statusOf } from './stage-moves.js';
import { deals, type DealFilter, type DealOrder } from './deal.records.js';

type Em = RequestContext['em'];

const workspaceOf = (ctx: RequestContext) => ctx.principal.workspaceId!;

// ---------------------------------------------------------------- reads

/** `Company.deals` / `Contact.deals` pages of every parent on a page, in one statement per distinct set of arguments. */
export function parentDealsLoader(
  ctx: RequestContext,
  parent: 'Company' | 'Contact',
  args: ConnectionArgs,
  filter?: DealFilter | null,
  orderBy?: DealOrder[] | null,
) {
  const link =
    parent === 'Company'
      ? { parentColumn: 'd.company_id' }
      : { parentColumn: 'dc.contact_id', from: 'deal d join deal_contact dc on dc.deal_id = d.id' };
  return deals.pagesByParent(ctx, link, args, filter, orderBy);
}

/** Deals by id that the caller's deal:read reaches (trashed ones too, as `deal(id:)` shows them); others resolve to null. */
export const readableDeals = (ctx: RequestContext) => deals.readable(ctx);

export const findDeal = (ctx: RequestContext, globalId: string) => deals.find(ctx, globalId);

// ---------------------------------------------------------------- validation

const contactInput = z.object({ contactId: z.string(), role: optionalText(80), isPrimary: z.boolean().default(false) });
const fields = {
  name: trimmed(200).pipe(z.string().min(1, { message: 'must not be empty' })),
  amount: money.nullish(),
  expectedCloseDate: z.string().refine(isCalendarDate, { message: 'must be a date such as 2026-12-31' }).nullish(),
  ownerId: z.string().nullish(),
  companyId: z.string().nullish(),
  contacts: z.array(contactInput).max(50, { message: 'at most 50 contacts' }),
  source: optionalText(120),
  priority: z.enum(DealPriority).nullish(),
  tagIds: z.array(z.string()).max(100, { message: 'at most 100 tags' }),
  customFields: z.unknown().optional(),
};
const createSchema = z.object({
  ...fields,
  contacts: fields.contacts.default([]),
  tagIds: fields.tagIds.default([]),
  pipelineId: z.string().nullish(),
  stageId: z.string().nullish(),
});
const updateSchema = z
  .object({ id: z.string(), version: z.number().int(), lostReason: optionalText(500) })
  .extend(z.object(fields).partial().shape);

/** The owner of a deal being created or re-assigned, within the caller's deal:update scope (as the kernel's records). */
async function ownerOrReject(
  ctx: RequestContext,
  globalId: string | null | undefined,
  creating: boolean,
): Promise<string | null | undefined> {
  const workspaceId = workspaceOf(ctx);
  if (globalId === undefined) {
    if (!creating) return undefined;
    const me = ctx.principal.userId;
    return me && (await memberIds(ctx.em, workspaceId, [me])).has(me) ? me : null;
  }
  const owner = await memberOrReject(ctx.em, workspaceId, globalId, 'ownerId');
  const access = ctx.principal.access;
  if (access.scope(DEAL_SCOPE.update) !== 'ALL' && !access.reaches(DEAL_SCOPE.update, [owner?.id])) {
    throw InputRejected.one(
      'ownerId',
      owner ? 'you may not assign deals to this member' : 'you may not leave a deal without an owner',
      ErrorCode.FORBIDDEN,
    );
  }
  return owner?.id ?? null;
}

async function companyOrReject(ctx: RequestContext, globalId: string | null | undefined): Promise<string | null | undefined> {
  if (globalId == null) return globalId;
  return (await kernelCompanyOrReject(ctx, globalId, 'companyId', 'company not found in this workspace')).id;
}

interface ContactLink {
  contactId: string;
  role: string | null;
  isPrimary: boolean;
}

/** Contacts of a deal: live, readable contacts of the workspace, each once; exactly one primary (the first flagged, else the first). */
async function contactsOrReject(ctx: RequestContext, input: z.infer<typeof contactInput>[]): Promise<ContactLink[]> {
  const seen = new Set<string>();
  const links = input.flatMap((c, i) => {
    const contactId = expectGlobalId(c.contactId, 'Contact', `contacts.${i}.contactId`);
    if (seen.has(contactId)) return [];
    seen.add(contactId);
    return [{ contactId, role: c.role ?? null, isPrimary: c.isPrimary, index: i }];
  });
  if (links.length) {
    const found = await readableContactIds(
      ctx,
      links.map((l) => l.contactId),
    );
    const missing = links.find((l) => !found.has(l.contactId));
    if (missing) throw InputRejected.one(`contacts.${missing.index}.contactId`, 'contact not found in this workspace', ErrorCode.NOT_FOUND);
  }
  const primary = Math.max(
    0,
    links.findIndex((l) => l.isPrimary),
  );
  return links.map((l, i) => ({ contactId: l.contactId, role: l.role, isPrimary: i === primary }));
}

async function setContacts(em: Em, workspaceId: string, dealId: string, links: ContactLink[]): Promise<void> {
  await em.execute('delete from deal_contact where workspace_id = ? and deal_id = ?', [workspaceId, dealId]);
  if (!links.length) return;
  const values = Sql.join(
    links.map((l, i) => sql`(${workspaceId}, ${dealId}, ${l.contactId}, ${l.role}, ${l.isPrimary}, ${i})`),
    ', ',
  );
  const q = sql`insert into deal_contact (workspace_id, deal_id, contact_id, role, is_primary, position) values ${values}`;
  await em.execute(q.text, q.params);
}

async function contactIdsOf(em: Em, workspaceId: string, dealId: string): Promise<string[]> {
  const rows = await em.execute<{ contact_id: string }[]>(
    'select contact_id from deal_contact where workspace_id = ? and deal_id = ? order by is_primary desc, position',
    [workspaceId, dealId],
  );
  return rows.map((r) => r.contact_id);
}

/** A stage of a live pipeline of the workspace (NOT_FOUND otherwise). */
async function stageOrReject(ctx: RequestContext, globalId: string, field: string): Promise<PipelineStage> {
  const id = expectGlobalId(globalId, PIPELINE_STAGE, field);
  const stage = await ctx.em.findOne(PipelineStage, { id });
  if (!stage || !(await ctx.em.findOne(Pipeline, { id: stage.pipelineId, deletedAt: null })))
    throw InputRejected.one(field, 'stage not found', ErrorCode.NOT_FOUND);
  return stage;
}

async function firstStageOfKind(ctx: RequestContext, pipelineId: string, kind: StageKind): Promise<PipelineStage | null> {
  return ctx.em.findOne(PipelineStage, { pipelineId, kind }, { orderBy: { position: 'asc' } });
}

// ---------------------------------------------------------------- timeline and events

const timelineTitles: Record<string, (deal: Deal, stage: PipelineStage) => string> = {
  'deal.created': (d, s) => `Deal "${d.name}" created in ${s.name}`,
  'deal.stageChanged': (d, s) => `Deal "${d.name}" moved to ${s.name}`,
  'deal.won': (d) => `Deal "${d.name}" won`,
  'deal.lost': (d) => `Deal "${d.name}" lost${d.lostReason ? `: ${d.lostReason}` : ''}`,
  'deal.reopened': (d, s) => `Deal "${d.name}" reopened in ${s.name}`,
};

/** Records an entry on the timelines of the deal, its company and its contacts. */
async function recordOnTimelines(
  ctx: RequestContext,
  type: string,
  deal: Deal,
  stage: PipelineStage,
  data: Record<string, unknown>,
): Promise<void> {
  const contactIds = await contactIdsOf(ctx.em, deal.workspaceId, deal.id);
  const targets: TimelineTarget[] = [
    { type: DEAL, id: deal.id },
    ...(deal.companyId ? [{ type: 'Company', id: deal.companyId }] : []),
    ...contactIds.slice(0, 48).map((id) => ({ type: 'Contact', id })),
  ];
  await recordTimelineEvent(ctx, {
    entryType: type,
    title: timelineTitles[type]!(deal, stage),
    data: { dealId: deal.id, stageId: stage.id, pipelineId: stage.pipelineId, ...data },
    actorId: ctx.principal.userId,
    targets,
  });
}

async function emit<Payload extends object>(ctx: RequestContext, event: EventType<Payload>, payload: Payload): Promise<void> {
  await emitEvent(ctx.em, event, payload, { workspaceId: workspaceOf(ctx) });
}

/** The ids events about a deal carry (raw uuids). */
const dealRefs = (deal: Deal) => ({
  id: deal.id,
  pipelineId: deal.pipelineId,
  stageId: deal.stageId,
  ownerId: deal.ownerId ?? null,
  companyId: deal.companyId ?? null,
});
const moneyOf = (deal: Deal) => ({ amount: deal.amount == null ? null : Number(deal.amount), currency: deal.currency ?? null });

// ---------------------------------------------------------------- writes

/** Before hooks of other plugins run on `deal.create` / `deal.update` drafts (validated input, global ids). */
export async function createDeal(ctx: RequestContext, input: unknown): Promise<Deal> {
  const data = await runBeforeHooks(ctx, 'deal.create', parseInput(createSchema, input));
  const em = ctx.em;
  const workspaceId = workspaceOf(ctx);
  let stage: PipelineStage | null;
  if (data.stageId) {
    stage = await stageOrReject(ctx, data.stageId, 'stageId');
    if (data.pipelineId && expectGlobalId(data.pipelineId, PIPELINE, 'pipelineId') !== stage.pipelineId) {
      throw InputRejected.one('stageId', 'the stage belongs to another pipeline than pipelineId');
    }
  } else {
    const pipeline = data.pipelineId
      ? await em.findOne(Pipeline, { id: expectGlobalId(data.pipelineId, PIPELINE, 'pipelineId'), deletedAt: null })
      : await em.findOne(Pipeline, { isDefault: true, deletedAt: null });
    if (!pipeline)
      throw InputRejected.one(
        'pipelineId',
        data.pipelineId ? 'pipeline not found' : 'the workspace has no pipeline yet: create one first',
        ErrorCode.NOT_FOUND,
      );
    stage = await firstStageOfKind(ctx, pipeline.id, StageKind.OPEN);
    if (!stage) throw InputRejected.one('pipelineId', 'the pipeline has no OPEN stage');
  }
  const ownerId = await ownerOrReject(ctx, data.ownerId, true);
  const companyId = await companyOrReject(ctx, data.companyId);
  const contacts = await contactsOrReject(ctx, data.contacts);
  const tagIds = await resolveTagIds(em, data.tagIds, 'tagIds');
  const customFields = mergeCustomValues(await definitionsFor(ctx, DEAL), {}, data.customFields, { creating: true });
  const now = new Date();
  const status = statusOf(stage.kind);
  const deal = em.create(Deal, {
    workspaceId,
    name: data.name,
    amount: data.amount?.amount ?? null,
    currency: data.amount?.currency ?? null,
    expectedCloseDate: data.expectedCloseDate ?? null,
    ownerId: ownerId ?? null,
    companyId: companyId ?? null,
    pipelineId: stage.pipelineId,
    stageId: stage.id,
    status,
    source: data.source ?? null,
    priority: data.priority ?? null,
    customFields,
    stageEnteredAt: now,
    closedAt: status === DealStatus.OPEN ? null : now,
  } as Deal);
  openStay(em, deal, stage, ctx.principal.userId, now);
  await em.flush();
  await setContacts(em, workspaceId, deal.id, contacts);
  await setTags(em, workspaceId, DEAL, deal.id, tagIds);
  await emit(ctx, dealCreated, { ...dealRefs(deal), ...moneyOf(deal), status: deal.status });
  await recordOnTimelines(ctx, 'deal.created', deal, stage, {});
  return deal;
}

/**
 * A live deal for a write: outside the caller's `permission` scope it is NOT_FOUND, exactly like a missing one; a
 * stale `version` is a CONFLICT.
 */
function dealForUpdate(
  ctx: RequestContext,
  globalId: string,
  version: number | null | undefined,
  permission = DEAL_SCOPE.update,
): Promise<Deal> {
  return deals.forUpdate(ctx, globalId, version, { permission });
}

export async function updateDeal(ctx: RequestContext, input: unknown): Promise<Deal> {
  const data = await runBeforeHooks(ctx, 'deal.update', parseInput(updateSchema, input));
  const em = ctx.em;
  const workspaceId = workspaceOf(ctx);
  const deal = await dealForUpdate(ctx, data.id, data.version);
  const changed: string[] = [];
  const set = <K extends keyof Deal>(key: K, value: Deal[K]) => {
    if (deal[key] !== value) {
      deal[key] = value;
      changed.push(key as string);
    }
  };
  if (data.name !== undefined) set('name', data.name);
  if (data.amount !== undefined) {
    const before = `${deal.amount ?? ''}${deal.currency ?? ''}`;
    deal.amount = data.amount?.amount ?? null;
    deal.currency = data.amount?.currency ?? null;
    if (before !== `${deal.amount ?? ''}${deal.currency ?? ''}`) changed.push('amount');
  }
  if (data.expectedCloseDate !== undefined) set('expectedCloseDate', data.expectedCloseDate ?? null);
  if (data.source !== undefined) set('source', data.source ?? null);
  if (data.priority !== undefined) set('priority', data.priority ?? null);
  if (data.lostReason !== undefined) {
    if (deal.status !== DealStatus.LOST) throw InputRejected.one('lostReason', 'only a LOST deal has a lost reason', ErrorCode.CONFLICT);
    set('lostReason', data.lostReason ?? null);
  }
  const ownerId = await ownerOrReject(ctx, data.ownerId, false);
  if (ownerId !== undefined) set('ownerId', ownerId);
  const companyId = await companyOrReject(ctx, data.companyId);
  if (companyId !== undefined) set('companyId', companyId);
  if (data.customFields !== undefined) {
    deal.customFields = mergeCustomValues(await definitionsFor(ctx, DEAL), deal.customFields, data.customFields, { creating: false });
    changed.push('customFields');
  }
  if (data.contacts !== undefined) {
    await setContacts(em, workspaceId, deal.id, await contactsOrReject(ctx, data.contacts));
    changed.push('contacts');
  }
  if (data.tagIds !== undefined) {
    await setTags(em, workspaceId, DEAL, deal.id, await resolveTagIds(em, data.tagIds, 'tagIds'));
    changed.push('tags');
  }
  // bumps the version too: contacts and tags live in other tables
  deal.updatedAt = new Date();
  await em.flush();
  if (changed.length) await emit(ctx, dealUpdated, { id: deal.id, changed });
  return deal;
}

export async function deleteDeal(ctx: RequestContext, globalId: string, version?: number | null): Promise<Deal> {
  const deal = await deals.trash(ctx, globalId, version);
  await emit(ctx, dealDeleted, { id: deal.id });
  return deal;
}

export function restoreDeal(ctx: RequestContext, globalId: string): Promise<Deal> {
  return deals.restore(ctx, globalId);
}

// ---------------------------------------------------------------- stage changes

async function primaryContactOf(em: Em, workspaceId: string, dealId: string): Promise<string | null> {
  return (await contactIdsOf(em, workspaceId, dealId))[0] ?? null;
}

/** Puts the deal into `stage`, then emits the events and records the timeline entry the transition calls for. */
async function changeStage(ctx: RequestContext, deal: Deal, stage: PipelineStage, lostReason?: string | null): Promise<Deal> {
  const from = { stageId: deal.stageId, status: deal.status };
  await enterStage(ctx.em, deal, stage, ctx.principal.userId);
  if (lostReason !== undefined && deal.status === DealStatus.LOST) deal.lostReason = lostReason;
  await ctx.em.flush();
  const workspaceId = workspaceOf(ctx);
  await emit(ctx, dealStageChanged, {
    id: deal.id,
    pipelineId: deal.pipelineId,
    fromStageId: from.stageId,
    toStageId: stage.id,
    ownerId: deal.ownerId ?? null,
  });
  let entry = 'deal.stageChanged';
  if (deal.status === DealStatus.WON && from.status !== DealStatus.WON) {
    entry = 'deal.won';
    await emit(ctx, dealWon, {
      ...dealRefs(deal),
      ...moneyOf(deal),
      primaryContactId: await primaryContactOf(ctx.em, workspaceId, deal.id),
    });
  } else if (deal.status === DealStatus.LOST && from.status !== DealStatus.LOST) {
    entry = 'deal.lost';
    await emit(ctx, dealLost, { ...dealRefs(deal), lostReason: deal.lostReason ?? null });
  } else if (deal.status === DealStatus.OPEN && from.status !== DealStatus.OPEN) {
    entry = 'deal.reopened';
    await emit(ctx, dealReopened, { id: deal.id, pipelineId: deal.pipelineId, stageId: deal.stageId });
  }
  await recordOnTimelines(ctx, entry, deal, stage, { fromStageId: from.stageId, toStageId: stage.id });
  return deal;
}

function rejectClosedToClosed(deal: Deal, target: StageKind): void {
  if (deal.status !== DealStatus.OPEN && target !== StageKind.OPEN && statusOf(target) !== deal.status) {
    throw InputRejected.one('id', `the deal is ${deal.status.toUpperCase()}: reopen it first`, ErrorCode.CONFLICT);
  }
}

/**
 * Moves a deal to a stage of its pipeline, or — with `pipelineId` naming the stage's pipeline — across pipelines.
 * A closed deal may move to an OPEN stage (it reopens), not straight to the other closed outcome.
 */
export async function moveDealToStage(
  ctx: RequestContext,
  input: { id: string; version: number; stageId: string; pipelineId?: string | null },
): Promise<Deal> {
  const deal = await dealForUpdate(ctx, input.id, input.version);
  const stage = await stageOrReject(ctx, input.stageId, 'stageId');
  if (stage.pipelineId !== deal.pipelineId) {
    const pipelineId = input.pipelineId ? expectGlobalId(input.pipelineId, PIPELINE, 'pipelineId') : null;
    if (pipelineId !== stage.pipelineId) {
      throw InputRejected.one(
        'stageId',
        'the stage belongs to another pipeline: pass that pipeline as pipelineId to move the deal across pipelines',
      );
    }
  }
  if (stage.id === deal.stageId) return deal;
  rejectClosedToClosed(deal, stage.kind);
  return changeStage(ctx, deal, stage);
}

export async function markDealWon(ctx: RequestContext, input: { id: string; version: number }): Promise<Deal> {
  const deal = await dealForUpdate(ctx, input.id, input.version);
  if (deal.status === DealStatus.WON) throw InputRejected.one('id', 'the deal is already WON', ErrorCode.CONFLICT);
  rejectClosedToClosed(deal, StageKind.WON);
  const stage = await firstStageOfKind(ctx, deal.pipelineId, StageKind.WON);
  if (!stage) throw InputRejected.one('id', 'the deal’s pipeline has no WON stage', ErrorCode.CONFLICT);
  return changeStage(ctx, deal, stage);
}

export async function markDealLost(ctx: RequestContext, input: { id: string; version: number; reason?: string | null }): Promise<Deal> {
  const reason = parseInput(optionalText(500), input.reason, ['reason']);
  const deal = await dealForUpdate(ctx, input.id, input.version);
  if (deal.status === DealStatus.LOST) throw InputRejected.one('id', 'the deal is already LOST', ErrorCode.CONFLICT);
  rejectClosedToClosed(deal, StageKind.LOST);
  const stage = await firstStageOfKind(ctx, deal.pipelineId, StageKind.LOST);
  if (!stage) throw InputRejected.one('id', 'the deal’s pipeline has no LOST stage', ErrorCode.CONFLICT);
  return changeStage(ctx, deal, stage, reason ?? null);
}

/** The open stage a reopened deal returns to: the given one, else its last open stage in this pipeline, else the first. */
async function reopenTarget(ctx: RequestContext, deal: Deal, stageGlobalId?: string | null): Promise<PipelineStage> {
  if (stageGlobalId) {
    const stage = await stageOrReject(ctx, stageGlobalId, 'stageId');
    if (stage.pipelineId !== deal.pipelineId) throw InputRejected.one('stageId', 'the stage belongs to another pipeline');
    if (stage.kind !== StageKind.OPEN) throw InputRejected.one('stageId', 'a deal reopens into an OPEN stage');
    return stage;
  }
  const q = sql`select s.id from deal_stage_history h join pipeline_stage s on s.id = h.stage_id
    where h.workspace_id = ${deal.workspaceId} and h.deal_id = ${deal.id} and s.pipeline_id = ${deal.pipelineId} and s.kind = 'open'
    order by h.entered_at desc limit 1`;
  const [last] = await ctx.em.execute<{ id: string }[]>(q.text, q.params);
  const stage = last ? await ctx.em.findOne(PipelineStage, { id: last.id }) : await firstStageOfKind(ctx, deal.pipelineId, StageKind.OPEN);
  if (!stage) throw InputRejected.one('id', 'the deal’s pipeline has no OPEN stage', ErrorCode.CONFLICT);
  return stage;
}

export async function reopenDeal(ctx: RequestContext, input: { id: string; version: number; stageId?: string | null }): Promise<Deal> {
  const deal = await dealForUpdate(ctx, input.id, input.version);
  if (deal.status === DealStatus.OPEN) throw InputRejected.one('id', 'the deal is already OPEN', ErrorCode.CONFLICT);
  return changeStage(ctx, deal, await reopenTarget(ctx, deal, input.stageId));
}
