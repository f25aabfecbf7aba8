import { randomUUID } from 'node:crypto';
import {
  InputRejected,
  actAs,
  defineJob,
  contacts,
  enqueueJob,
  renderEmailTemplate,
  sendEmail,
  sql,
  type Contact,
  type JobContext,
  type PluginContext,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { audienceSql } from '../campaigns/audience.js';
import { Campaign, CampaignStatus } from '../campaigns/entities.js';
import type { CampaignSettings } from '../settings.js';
import { CampaignTemplate } from '../templates/entities.js';
import { SendStatus, SkipReason } from './entities.js';
import { campaignLinkIndex, recipientLinks, recordCampaignLinks, trackHtml } from './links.js';
import { skipReasons } from './suppression.js';

/** Rows claimed by one batch (one hand-off transaction each): a few hundred, never the whole audience in memory. */
export const BATCH_SIZE = 200;
/** A claimed row whose hand-off has not committed after this long is given back to the queue by the sweep. */
export const CLAIM_LEASE_MS = 10 * 60_000;
const MINUTE_MS = 60_000;

export type EngineContext = PluginContext<CampaignSettings> & { workspaceId: string; now: Date };

/** `campaign:<campaign id>:<send id>`: the `source` of every message, how delivery events find their send row. */
export const sendSource = (campaignId: string, sendId: string) => `campaign:${campaignId}:${sendId}`;
const SOURCE = /^campaign:([0-9a-f-]{36}):([0-9a-f-]{36})$/;
export function parseSendSource(source: string | null | undefined): { campaignId: string; sendId: string } | null {
  const m = SOURCE.exec(source ?? '');
  return m ? { campaignId: m[1]!, sendId: m[2]! } : null;
}

/** How many members the campaign's segments have now (distinct contacts). */
export async function audienceSize(em: RequestContext['em'], workspaceId: string, segmentIds: readonly string[]): Promise<number> {
  if (!segmentIds.length) return 0;
  const audience = audienceSql(workspaceId, segmentIds);
  const q = sql`select count(*) as n from (${audience}) a`;
  const [row] = await em.execute<{ n: string | number }[]>(q.text, q.params);
  return Number(row?.n ?? 0);
}

/**
 * Starts a campaign in the caller's transaction: one statement materialises its recipients (the members of its
 * segments, each once: the unique (campaign_id, contact_id) row) as `queued` send rows, the campaign becomes
 * `sending`, and the first batch is enqueued — all or nothing.
 */
export async function startCampaign(context: { em: RequestContext['em'] }, campaign: Campaign, now: Date): Promise<number> {
  const audience = audienceSql(campaign.workspaceId, campaign.segmentIds);
  const insert = sql`insert into campaign_send (id, workspace_id, campaign_id, contact_id, status, created_at, updated_at)
    select gen_random_uuid(), ${campaign.workspaceId}, ${campaign.id}, a.contact_id, 'queued', ${now}, ${now} from (${audience}) a
    on conflict (campaign_id, contact_id) do nothing`;
  await context.em.execute(insert.text, insert.params, 'run');
  const count = sql`select count(*) as n from campaign_send where workspace_id = ${campaign.workspaceId} and campaign_id = ${campaign.id}`;
  const [row] = await context.em.execute<{ n: string | number }[]>(count.text, count.params);
  campaign.status = CampaignStatus.SENDING;
  campaign.startedAt = now;
  campaign.scheduledAt ??= now;
  campaign.recipientCount = Number(row?.n ?? 0);
  const template = await context.em.findOne(
    CampaignTemplate,
    { id: campaign.templateId, workspaceId: campaign.workspaceId },
    { filters: false },
  );
  if (template) await recordCampaignLinks(context.em, campaign.workspaceId, campaign.id, template.compiledHtml);
  await context.em.flush();
  await enqueueJob(context, batchJob, { campaignId: campaign.id }, { workspaceId: campaign.workspaceId, singletonKey: campaign.id });
  return campaign.recipientCount;
}

/** The campaign is `sent` once none of its rows is queued or claimed. */
export async function finishIfDone(context: EngineContext, campaignId: string): Promise<boolean> {
  const q = sql`update campaign set status = 'sent', finished_at = ${context.now}, updated_at = ${context.now}, version = version + 1
    where workspace_id = ${context.workspaceId} and id = ${campaignId} and status = 'sending'
      and not exists (select 1 from campaign_send s where s.campaign_id = ${campaignId} and s.status in ('queued', 'claimed'))
    returning id`;
  return (await context.em.execute(q.text, q.params)).length > 0;
}

/**
 * One batch (the `campaign-batch` job's transaction): claims up to BATCH_SIZE queued rows (`for update skip locked`:
 * concurrent batches of other processes take other rows) as `claimed` with a fresh token and the lease start, within
 * the workspace's budget of `throttlePerMinute` claims per minute (serialised per workspace by an advisory lock),
 * and enqueues their hand-off. The claim commits before any message exists. The next batch follows at once, or when
 * the minute's budget frees up.
 */
export async function claimBatch(context: EngineContext, campaignId: string): Promise<number> {
  const { em, workspaceId, now, settings } = context;
  const lock = sql`select pg_advisory_xact_lock(hashtext(${`campaigns:${workspaceId}`}))`;
  await em.execute(lock.text, lock.params);
  const status = sql`select status from campaign where workspace_id = ${workspaceId} and id = ${campaignId}`;
  const [campaign] = await em.execute<{ status: string }[]>(status.text, status.params);
  if (campaign?.status !== CampaignStatus.SENDING) return 0;
  const windowStart = new Date(now.getTime() - MINUTE_MS);
  const used = sql`select count(*) as n, min(claimed_at) as oldest from campaign_send
    where workspace_id = ${workspaceId} and claimed_at > ${windowStart}`;
  const [usage] = await em.execute<{ n: string | number; oldest: string | Date | null }[]>(used.text, used.params);
  const budget = settings.throttlePerMinute - Number(usage?.n ?? 0);
  if (budget <= 0) {
    const freesAt = new Date(new Date(usage!.oldest!).getTime() + MINUTE_MS + 1);
    await enqueueJob(context, batchJob, { campaignId }, { workspaceId, singletonKey: campaignId, startAfter: freesAt });
    return 0;
  }
  const limit = Math.min(BATCH_SIZE, budget);
  const token = randomUUID();
  // the pick is a materialised CTE: as an `in (select … limit … skip locked)` PostgreSQL may run the subquery more
  // than once in a plan and claim more than `limit` rows
  const claim = sql`with picked as materialized (
      select id from campaign_send where workspace_id = ${workspaceId} and campaign_id = ${campaignId} and status = 'queued'
      order by id limit ${limit} for update skip locked)
    update campaign_send s set status = 'claimed', claim_token = ${token}, claimed_at = ${now}, updated_at = ${now}
    from picked where s.id = picked.id
    returning s.id`;
  const claimed = (await em.execute<{ id: string }[]>(claim.text, claim.params)).length;
  if (!claimed) {
    await finishIfDone(context, campaignId);
    return 0;
  }
  await enqueueJob(context, deliverJob, { campaignId, claimToken: token }, { workspaceId });
  if (claimed === limit) await enqueueJob(context, batchJob, { campaignId }, { workspaceId, singletonKey: campaignId });
  return claimed;
}

interface ClaimedRow {
  id: string;
  contact_id: string;
}

/**
 * Hands one claim's rows to the kernel's email service (the `campaign-deliver` job's transaction): locks them, checks
 * suppression for the batch, and for each recipient either records why it is skipped or calls `sendEmail` — which
 * records the message, puts it on the contact's timeline and queues its SMTP delivery — and marks the row `sent`
 * with the message id, in the same transaction. A row is therefore `sent` iff its message exists: a hand-off that
 * dies rolls back both, leaving the row `claimed` (retried under the same token, or given back by the sweep).
 */
export async function deliverClaim(context: EngineContext, campaignId: string, claimToken: string): Promise<number> {
  const { em, workspaceId, now } = context;
  const q = sql`select id, contact_id from campaign_send where workspace_id = ${workspaceId} and campaign_id = ${campaignId}
    and claim_token = ${claimToken} and status = 'claimed' order by id for update`;
  const rows = await em.execute<ClaimedRow[]>(q.text, q.params);
  if (!rows.length) return 0;
  const campaign = await em.findOne(Campaign, { id: campaignId, workspaceId }, { filters: false });
  if (!campaign || campaign.status !== CampaignStatus.SENDING) {
    await markSkipped(context, rows, () => SkipReason.CANCELLED);
    return 0;
  }
  const template = await em.findOne(CampaignTemplate, { id: campaign.templateId, workspaceId }, { filters: false });
  if (!template) throw new Error(`campaign ${campaignId}: template ${campaign.templateId} is missing`);
  const links = await campaignLinkIndex(em, workspaceId, campaignId);
  const from = senderOf(campaign);
  let sent = 0;
  await actAs(context, null, async (ctx) => {
    const loaded = await contacts.readable(ctx).loadMany(rows.map((r) => r.contact_id));
    const byId = new Map<string, Contact | null>(
      rows.map((r, i) => [r.contact_id, loaded[i] instanceof Error ? null : ((loaded[i] as Contact) ?? null)]),
    );
    const reasons = await skipReasons(ctx, context.settings, byId);
    await markSkipped(
      context,
      rows.filter((r) => reasons.has(r.contact_id)),
      (r) => reasons.get(r.contact_id)!,
    );
    for (const row of rows.filter((r) => !reasons.has(r.contact_id))) {
      const contact = byId.get(row.contact_id)!;
      const email = contact.primaryEmail!.trim().toLowerCase();
      const recipient = recipientLinks(context, workspaceId, row.id);
      try {
        const rendered = await renderEmailTemplate(em, {
          workspaceId,
          to: email,
          contactId: contact.id,
          content: { subject: template.subject, html: template.compiledHtml, text: template.textBody ?? null },
          data: { unsubscribeUrl: recipient.unsubscribeUrl, campaignName: campaign.name },
        });
        const message = await sendEmail(em, {
          workspaceId,
          actorId: campaign.createdBy ?? null,
          to: email,
          contactId: contact.id,
          content: {
            subject: rendered.subject,
            html: trackHtml(rendered.html, links, recipient, context.settings.tracking),
            text: rendered.text,
          },
          prerendered: true,
          from,
          headers: {
            // RFC 8058 one-click: mail clients POST `List-Unsubscribe=One-Click` to the URL
            'List-Unsubscribe': `<${recipient.unsubscribeUrl}>`,
            'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
            'X-Campaign-Id': campaign.id,
          },
          source: sendSource(campaign.id, row.id),
        });
        const mark = sql`update campaign_send set status = 'sent', message_id = ${message.id}, email = ${email}, sent_at = ${now},
          claim_token = null, updated_at = ${now} where id = ${row.id}`;
        await em.execute(mark.text, mark.params, 'run');
        sent++;
      } catch (error) {
        // sendEmail refuses before writing anything: the recipient fails, the batch goes on
        if (!(error instanceof InputRejected)) throw error;
        const mark = sql`update campaign_send set status = 'failed', email = ${email}, failed_at = ${now}, error = ${error.message.slice(0, 1000)},
          claim_token = null, updated_at = ${now} where id = ${row.id}`;
        await em.execute(mark.text, mark.params, 'run');
      }
    }
  });
  await finishIfDone(context, campaignId);
  return sent;
}

/** The campaign's sender identity (`Name <address>`), or null for the server's MAIL_FROM. */
function senderOf(campaign: Campaign): string | null {
  if (!campaign.senderAddress) return null;
  return campaign.senderName ? `${campaign.senderName} <${campaign.senderAddress}>` : campaign.senderAddress;
}

async function markSkipped(context: EngineContext, rows: ClaimedRow[], reason: (row: ClaimedRow) => SkipReason): Promise<void> {
  if (!rows.length) return;
  const pairs = rows.map((r) => ({ id: r.id, reason: reason(r) }));
  const q = sql`update campaign_send s set status = ${SendStatus.SKIPPED}, skip_reason = p.reason, claim_token = null, updated_at = ${context.now}
    from jsonb_to_recordset(cast(${JSON.stringify(pairs)} as jsonb)) as p(id uuid, reason text)
    where s.id = p.id and s.workspace_id = ${context.workspaceId}`;
  await context.em.execute(q.text, q.params, 'run');
}

/**
 * The sweep (every minute, per workspace): claimed rows whose lease expired go back to `queued` and are sent again —
 * safe, because a row still `claimed` proves its hand-off never committed, so no message was recorded for it (the
 * message and the row's `sent` commit together). Scheduled campaigns that are due start (a lost start job), sending
 * ones with queued rows get a batch, and finished ones become `sent`.
 */
export async function sweep(context: EngineContext): Promise<void> {
  const { em, workspaceId, now } = context;
  const expired = new Date(now.getTime() - CLAIM_LEASE_MS);
  const requeue = sql`update campaign_send set status = 'queued', claim_token = null, claimed_at = null, updated_at = ${now}
    where id in (select id from campaign_send where workspace_id = ${workspaceId} and status = 'claimed' and claimed_at < ${expired}
      for update skip locked)`;
  await em.execute(requeue.text, requeue.params, 'run');
  const due = await em.find(
    Campaign,
    { workspaceId, status: CampaignStatus.SCHEDULED, scheduledAt: { $lte: now }, deletedAt: null },
    { filters: false },
  );
  for (const campaign of due) await startCampaign(context, campaign, now);
  const sending = sql`select c.id, exists (select 1 from campaign_send s where s.campaign_id = c.id and s.status = 'queued') as pending
    from campaign c where c.workspace_id = ${workspaceId} and c.status = 'sending'`;
  for (const row of await em.execute<{ id: string; pending: boolean }[]>(sending.text, sending.params)) {
    if (row.pending) await enqueueJob(context, batchJob, { campaignId: row.id }, { workspaceId, singletonKey: row.id });
    else await finishIfDone(context, row.id);
  }
}

// ---- the jobs (plugin `jobs`): each run is one transaction in its workspace ----

const engine = (context: JobContext<CampaignSettings>): EngineContext => context;

/** Starts a scheduled campaign when its time comes (enqueued by scheduleCampaign with `startAfter`). */
export const startJob = defineJob<{ campaignId: string }, CampaignSettings>({
  name: 'campaign-start',
  async run(context, { campaignId }) {
    const campaign = await context.em.findOne(
      Campaign,
      { id: campaignId, workspaceId: context.workspaceId, deletedAt: null },
      { filters: false },
    );
    if (campaign?.status !== CampaignStatus.SCHEDULED || !campaign.scheduledAt || campaign.scheduledAt > context.now) return;
    await startCampaign(context, campaign, context.now);
  },
});

export const batchJob = defineJob<{ campaignId: string }, CampaignSettings>({
  name: 'campaign-batch',
  async run(context, { campaignId }) {
    await claimBatch(engine(context), campaignId);
  },
});

export const deliverJob = defineJob<{ campaignId: string; claimToken: string }, CampaignSettings>({
  name: 'campaign-deliver',
  retryLimit: 5,
  retryDelaySeconds: 30,
  async run(context, { campaignId, claimToken }) {
    await deliverClaim(engine(context), campaignId, claimToken);
  },
});

export const sweepJob = defineJob<Record<string, never>, CampaignSettings>({
  name: 'campaign-sweep',
  cron: '* * * * *',
  async run(context) {
    await sweep(engine(context));
  },
});

export const campaignJobs = [startJob, batchJob, deliverJob, sweepJob];
