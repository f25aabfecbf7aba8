import {
  emailFailed,
  emailSent,
  emitEvent,
  sql,
  subscribe,
  type DomainEvent,
  type EmailDelivered,
  type SubscriberContext,
} from '../../../src/sdk/index.js';
import type { CampaignSettings } from '../settings.js';
import { parseSendSource } from './engine.js';
import { campaignEmailBounced, campaignEmailDelivered, recordEngagementEvent } from './events.js';

interface SendRow {
  id: string;
  campaign_id: string;
  contact_id: string;
  email: string | null;
}

async function sendOf(context: SubscriberContext<CampaignSettings>, source: string | null): Promise<SendRow | null> {
  const ref = parseSendSource(source);
  if (!ref) return null;
  const q = sql`select id, campaign_id, contact_id, email from campaign_send
    where workspace_id = ${context.workspaceId} and id = ${ref.sendId} and campaign_id = ${ref.campaignId}`;
  const [row] = await context.em.execute<SendRow[]>(q.text, q.params);
  return row ?? null;
}

/** The SMTP server accepted a campaign message: its send row is `delivered` (`campaign.emailDelivered`). */
async function onSent(event: DomainEvent<EmailDelivered>, context: SubscriberContext<CampaignSettings>): Promise<void> {
  const send = await sendOf(context, event.payload.source);
  if (!send) return;
  const q = sql`update campaign_send set status = 'delivered', delivered_at = ${event.occurredAt ?? new Date()}, updated_at = now()
    where id = ${send.id} and status = 'sent' returning id`;
  if (!(await context.em.execute(q.text, q.params)).length) return;
  await emitEvent(
    context.em,
    campaignEmailDelivered,
    { campaignId: send.campaign_id, sendId: send.id, contactId: send.contact_id },
    { workspaceId: context.workspaceId },
  );
  await context.em.flush();
}

/** Whether the server refused for good (5xx): the kernel's `permanent` flag, else the answer's code. */
function isPermanent(payload: EmailDelivered): boolean {
  const flag = (payload as EmailDelivered & { permanent?: boolean }).permanent;
  if (typeof flag === 'boolean') return flag;
  const code = (payload as EmailDelivered & { responseCode?: number | null }).responseCode;
  if (typeof code === 'number') return code >= 500 && code < 600;
  return /(^|\D)5\d\d(\D|$)/.test(payload.error ?? '');
}

/**
 * A campaign message failed: its send row is `failed`; a permanent refusal (5xx) also marks the address hard-bounced
 * (the plugin's suppression record: no campaign sends there again) and emits `campaign.emailBounced`.
 */
async function onFailed(event: DomainEvent<EmailDelivered>, context: SubscriberContext<CampaignSettings>): Promise<void> {
  const send = await sendOf(context, event.payload.source);
  if (!send) return;
  const error = (event.payload.error ?? 'delivery failed').slice(0, 1000);
  const q = sql`update campaign_send set status = 'failed', failed_at = now(), error = ${error}, updated_at = now()
    where id = ${send.id} and status in ('sent', 'delivered') returning id`;
  if (!(await context.em.execute(q.text, q.params)).length) return;
  if (!isPermanent(event.payload)) return;
  const email = (send.email ?? event.payload.to).toLowerCase();
  const insert = sql`insert into campaign_suppression (id, workspace_id, email, kind, contact_id, campaign_id, send_id, detail, created_at, updated_at)
    values (gen_random_uuid(), ${context.workspaceId}, ${email}, 'bounced', ${send.contact_id}, ${send.campaign_id}, ${send.id}, ${error}, now(), now())
    on conflict (workspace_id, email, kind) do nothing`;
  await context.em.execute(insert.text, insert.params, 'run');
  await recordEngagementEvent(
    context.em,
    context.workspaceId,
    campaignEmailBounced,
    { campaignId: send.campaign_id, sendId: send.id, contactId: send.contact_id },
    { title: `Campaign email bounced: ${email}`, body: error, occurredAt: event.occurredAt },
  );
}

export const deliverySubscribers = [
  subscribe(emailSent, { name: 'campaign-email-sent', idempotent: true, handle: onSent }),
  subscribe(emailFailed, { name: 'campaign-email-failed', idempotent: true, handle: onFailed }),
];
