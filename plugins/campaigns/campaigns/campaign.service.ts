import { LockMode } from '@mikro-orm/core';
import {
  ErrorCode,
  InputRejected,
  expectGlobalId,
  expectVersion,
  money,
  parseInput,
  pluginSettings,
  sql,
  trimmed,
  z,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { PLUGIN_ID } from '../permissions.js';
import type { CampaignSettings } from '../settings.js';
import { liveTemplate } from '../templates/template.service.js';
import { Campaign, CampaignStatus } from './entities.js';
import { SEGMENT } from '../segments/segment.service.js';

export const CAMPAIGN = 'Campaign';
export const MAX_SEGMENTS = 50;

const workspaceOf = (ctx: RequestContext) => ctx.principal.workspaceId!;

const fields = {
  name: trimmed(200).pipe(z.string().min(1, { message: 'must not be empty' })),
  templateId: z.string(),
  segmentIds: z.array(z.string()).max(MAX_SEGMENTS, { message: `at most ${MAX_SEGMENTS} segments` }),
  senderAddress: z.string().max(320).nullish(),
  cost: money.nullish(),
};
const createSchema = z.object({ ...fields, segmentIds: fields.segmentIds.default([]) });
const updateSchema = z.object({
  version: z.number().int().nullish(),
  name: fields.name.nullish(),
  templateId: fields.templateId.nullish(),
  segmentIds: fields.segmentIds.nullish(),
  senderAddress: fields.senderAddress,
  cost: fields.cost,
});

/** A live campaign of the caller's workspace by global id (NOT_FOUND otherwise), locked for the write when `lock`. */
export async function liveCampaign(ctx: RequestContext, globalId: string, field = 'id', lock = false): Promise<Campaign> {
  const id = expectGlobalId(globalId, CAMPAIGN, field);
  const campaign = await ctx.em.findOne(
    Campaign,
    { id, workspaceId: workspaceOf(ctx), deletedAt: null },
    lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
  );
  if (!campaign) throw InputRejected.one(field, 'campaign not found', ErrorCode.NOT_FOUND);
  return campaign;
}

/** The live segments of the workspace among the given global ids (raw uuids, in order), else NOT_FOUND on the entry. */
async function segmentsOrReject(ctx: RequestContext, globalIds: readonly string[]): Promise<string[]> {
  const ids = globalIds.map((g, i) => expectGlobalId(g, SEGMENT, `segmentIds.${i}`));
  if (!ids.length) return [];
  const q = sql`select id from campaign_segment where workspace_id = ${workspaceOf(ctx)} and deleted_at is null
    and id in (select cast(jsonb_array_elements_text(cast(${JSON.stringify(ids)} as jsonb)) as uuid))`;
  const found = new Set((await ctx.em.execute<{ id: string }[]>(q.text, q.params)).map((r) => r.id));
  const missing = ids.flatMap((id, i) => (found.has(id) ? [] : [i]));
  if (missing.length)
    throw new InputRejected(
      missing.map((i) => ({ field: ['segmentIds', String(i)], message: 'segment not found', code: ErrorCode.NOT_FOUND })),
    );
  return [...new Set(ids)];
}

/** The sender identity: one of the workspace's `senders` (by address, any case), or none (the server's MAIL_FROM). */
async function senderOrReject(ctx: RequestContext, address: string | null | undefined): Promise<{ address: string; name: string } | null> {
  if (address == null || address.trim() === '') return null;
  const { senders } = await pluginSettings<CampaignSettings>(ctx, PLUGIN_ID);
  const sender = senders.find((s) => s.address.toLowerCase() === address.trim().toLowerCase());
  if (!sender) throw InputRejected.one('senderAddress', 'is not one of the workspace’s campaign senders (settings `senders`)');
  return sender;
}

export async function createCampaign(ctx: RequestContext, input: unknown): Promise<Campaign> {
  const c = parseInput(createSchema, input);
  const template = await liveTemplate(ctx, c.templateId, 'templateId');
  const segmentIds = await segmentsOrReject(ctx, c.segmentIds);
  const sender = await senderOrReject(ctx, c.senderAddress);
  const campaign = ctx.em.create(Campaign, {
    workspaceId: workspaceOf(ctx),
    name: c.name,
    templateId: template.id,
    segmentIds,
    senderAddress: sender?.address ?? null,
    senderName: sender?.name ?? null,
    costAmount: c.cost?.amount ?? null,
    costCurrency: c.cost?.currency ?? null,
    createdBy: ctx.principal.userId ?? null,
  } as Campaign);
  await ctx.em.flush();
  return campaign;
}

/** Rejects a change to a campaign that is no longer a draft (CONFLICT). */
export function expectDraft(campaign: Campaign, what: string): void {
  if (campaign.status !== CampaignStatus.DRAFT)
    throw InputRejected.one('id', `only a draft campaign can be ${what}; this one is ${campaign.status}`, ErrorCode.CONFLICT);
}

export async function updateCampaign(ctx: RequestContext, globalId: string, input: Record<string, unknown>): Promise<Campaign> {
  const campaign = await liveCampaign(ctx, globalId, 'id', true);
  const patch = parseInput(updateSchema, input);
  expectVersion(campaign.version, patch.version);
  expectDraft(campaign, 'changed');
  if (patch.name != null) campaign.name = patch.name;
  if (patch.templateId != null) campaign.templateId = (await liveTemplate(ctx, patch.templateId, 'templateId')).id;
  if (patch.segmentIds != null) campaign.segmentIds = await segmentsOrReject(ctx, patch.segmentIds);
  if (patch.senderAddress !== undefined) {
    const sender = await senderOrReject(ctx, patch.senderAddress);
    campaign.senderAddress = sender?.address ?? null;
    campaign.senderName = sender?.name ?? null;
  }
  if (patch.cost !== undefined) {
    campaign.costAmount = patch.cost?.amount ?? null;
    campaign.costCurrency = patch.cost?.currency ?? null;
  }
  await ctx.em.flush();
  return campaign;
}

export async function deleteCampaign(ctx: RequestContext, globalId: string, version: number | null | undefined): Promise<string> {
  const campaign = await liveCampaign(ctx, globalId, 'id', true);
  expectVersion(campaign.version, version);
  expectDraft(campaign, 'deleted');
  campaign.deletedAt = new Date();
  await ctx.em.flush();
  return campaign.id;
}
