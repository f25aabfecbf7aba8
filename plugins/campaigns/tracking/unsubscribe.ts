import { ConsentActorKind, ConsentStatus, InputRejected, actAs, changeContactConsent, sql, toGlobalId } from '../../../src/sdk/index.js';
import { campaignEmailUnsubscribed, recordEngagementEvent } from '../sending/events.js';
import type { SendRow, TrackingContext } from './engagement.js';

/**
 * The recipient of `send` unsubscribes (the signed link, or a mail client's RFC 8058 one-click POST): the address is
 * suppressed for every campaign of the workspace (`campaign_suppression`, kind `unsubscribed`), the contact's marketing
 * consent becomes WITHDRAWN with the campaign as its source (consent history), and `campaign.emailUnsubscribed` is
 * emitted and put on the contact's timeline. Again for an address already unsubscribed: nothing changes.
 */
export async function unsubscribe(context: TrackingContext, send: SendRow): Promise<'unsubscribed' | 'already'> {
  const { em, workspaceId, now } = context;
  const email = send.email?.trim().toLowerCase();
  if (!email) return 'already';
  const insert = sql`insert into campaign_suppression (id, workspace_id, email, kind, contact_id, campaign_id, send_id, detail, created_at, updated_at)
    values (gen_random_uuid(), ${workspaceId}, ${email}, 'unsubscribed', ${send.contact_id}, ${send.campaign_id}, ${send.id}, 'unsubscribe link', ${now}, ${now})
    on conflict (workspace_id, email, kind) do nothing returning id`;
  if (!(await em.execute(insert.text, insert.params)).length) return 'already';
  await actAs(context, null, async (ctx) => {
    try {
      await changeContactConsent(ctx, {
        contactId: toGlobalId('Contact', send.contact_id),
        marketingConsent: ConsentStatus.WITHDRAWN,
        actor: { kind: ConsentActorKind.UNSUBSCRIBE, id: `campaign:${send.campaign_id}` },
        consentSource: `unsubscribe link of “${send.campaign_name}”`.slice(0, 500),
        legalBasis: 'withdrawal of consent',
      });
    } catch (error) {
      // the contact was deleted or erased meanwhile: the address stays suppressed
      if (!(error instanceof InputRejected)) throw error;
    }
  });
  const payload = { campaignId: send.campaign_id, sendId: send.id, contactId: send.contact_id };
  await recordEngagementEvent(em, workspaceId, campaignEmailUnsubscribed, payload, {
    title: `Unsubscribed from campaigns (“${send.campaign_name}”)`,
    occurredAt: now,
  });
  return 'unsubscribed';
}
