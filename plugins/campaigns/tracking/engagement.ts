import { sql, type PluginRouteContext } from '../../../src/sdk/index.js';
import type { TokenTarget } from '../sending/links.js';
import { campaignEmailClicked, campaignEmailOpened, recordEngagementEvent } from '../sending/events.js';
import type { CampaignSettings } from '../settings.js';
import { EngagementKind } from './entities.js';
import { isMachine, type EngagementRequest } from './machine.js';

export type TrackingContext = PluginRouteContext<CampaignSettings>;

export interface SendRow {
  id: string;
  campaign_id: string;
  contact_id: string;
  campaign_name: string;
  email: string | null;
  handed_off_at: string | Date | null;
}

/** The send a token names, with its campaign's name and when its message reached the SMTP server (or was handed off). */
export async function sendOfTarget(context: TrackingContext, target: TokenTarget): Promise<SendRow | null> {
  const q = sql`select s.id, s.campaign_id, s.contact_id, s.email, c.name as campaign_name, coalesce(s.delivered_at, s.sent_at) as handed_off_at
    from campaign_send s join campaign c on c.id = s.campaign_id
    where s.workspace_id = ${context.workspaceId} and s.id = ${target.sendId} and s.message_id is not null`;
  const [row] = await context.em.execute<SendRow[]>(q.text, q.params);
  return row ?? null;
}

/** The recorded link a click token names (null: not one of the campaign's links — nothing to redirect to). */
export async function linkOf(context: TrackingContext, campaignId: string, linkIndex: number): Promise<string | null> {
  const q = sql`select url from campaign_link where workspace_id = ${context.workspaceId} and campaign_id = ${campaignId}
    and link_index = ${linkIndex}`;
  const [row] = await context.em.execute<{ url: string }[]>(q.text, q.params);
  return row?.url ?? null;
}

export interface Engagement {
  kind: EngagementKind;
  linkIndex: number | null;
  url: string | null;
  request: EngagementRequest & { ip: string | null };
}

/**
 * Records an open or a click (every one: totals count them all) and, for the first human one of its kind on the
 * message (for clicks: on that link), emits `campaign.emailOpened` / `campaign.emailClicked` and puts it on the
 * contact's timeline — the events automation, segments and scoring follow. Machine engagement is kept (flagged) but
 * emits nothing.
 */
export async function recordEngagement(context: TrackingContext, send: SendRow, engagement: Engagement): Promise<{ machine: boolean }> {
  const { em, workspaceId, now } = context;
  const handedOffAt = send.handed_off_at ? new Date(send.handed_off_at) : null;
  const machine = isMachine(engagement.request, handedOffAt, now);
  let first = false;
  if (!machine) {
    // two requests of one message at once: one of them is the first
    const lock = sql`select pg_advisory_xact_lock(hashtext(${`campaigns:engagement:${send.id}`}))`;
    await em.execute(lock.text, lock.params);
    const seen = sql`select 1 from campaign_engagement where workspace_id = ${workspaceId} and send_id = ${send.id}
      and kind = ${engagement.kind} and not machine and link_index is not distinct from ${engagement.linkIndex} limit 1`;
    first = (await em.execute(seen.text, seen.params)).length === 0;
  }
  const insert = sql`insert into campaign_engagement (id, workspace_id, campaign_id, send_id, contact_id, kind, link_index, machine, ip, user_agent, occurred_at)
    values (gen_random_uuid(), ${workspaceId}, ${send.campaign_id}, ${send.id}, ${send.contact_id}, ${engagement.kind}, ${engagement.linkIndex},
      ${machine}, ${engagement.request.ip?.slice(0, 64) ?? null}, ${engagement.request.userAgent?.slice(0, 500) ?? null}, ${now})`;
  await em.execute(insert.text, insert.params, 'run');
  if (machine || !first) return { machine };

  const payload = {
    campaignId: send.campaign_id,
    sendId: send.id,
    contactId: send.contact_id,
    machine: false,
    ...(engagement.url ? { url: engagement.url } : {}),
  };
  const opened = engagement.kind === EngagementKind.OPEN;
  await recordEngagementEvent(em, workspaceId, opened ? campaignEmailOpened : campaignEmailClicked, payload, {
    title: opened ? `Opened “${send.campaign_name}”` : `Clicked a link in “${send.campaign_name}”`,
    body: engagement.url,
    occurredAt: now,
  });
  return { machine };
}
