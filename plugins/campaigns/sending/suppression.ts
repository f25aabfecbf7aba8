import { Sql, sql, suppressedEmails, type Contact, type RequestContext } from '../../../src/sdk/index.js';
import type { CampaignSettings } from '../settings.js';
import { SkipReason, SuppressionKind } from './entities.js';

const KIND_REASON: Record<SuppressionKind, SkipReason> = {
  [SuppressionKind.UNSUBSCRIBED]: SkipReason.UNSUBSCRIBED,
  [SuppressionKind.BOUNCED]: SkipReason.BOUNCED,
  [SuppressionKind.COMPLAINED]: SkipReason.COMPLAINED,
};
const ORDER = [SuppressionKind.UNSUBSCRIBED, SuppressionKind.BOUNCED, SuppressionKind.COMPLAINED];

/** Whether marketing email may go to a contact under the workspace's consent policy. */
export function consentAllows(policy: CampaignSettings['consentPolicy'], consent: string): boolean {
  return policy === 'OPTED_IN_ONLY' ? consent === 'GRANTED' : consent !== 'WITHDRAWN';
}

/**
 * Why each of a batch's contacts must not be sent the campaign (absent: send), checked just before sending: gone,
 * do-not-contact, do-not-email, consent policy, no address, the privacy suppression list (erased addresses), and the
 * plugin's own records (unsubscribed, hard-bounced, complained — by address or contact). Two statements per batch.
 */
export async function skipReasons(
  ctx: RequestContext,
  settings: CampaignSettings,
  contacts: ReadonlyMap<string, Contact | null>,
): Promise<Map<string, SkipReason>> {
  const reasons = new Map<string, SkipReason>();
  const live: Contact[] = [];
  for (const [id, contact] of contacts) {
    const email = contact?.primaryEmail?.trim().toLowerCase();
    if (!contact || contact.deletedAt) reasons.set(id, SkipReason.CONTACT_GONE);
    else if (contact.doNotContact) reasons.set(id, SkipReason.DO_NOT_CONTACT);
    else if (contact.doNotEmail) reasons.set(id, SkipReason.DO_NOT_EMAIL);
    else if (!consentAllows(settings.consentPolicy, contact.marketingConsent)) reasons.set(id, SkipReason.NO_CONSENT);
    else if (!email) reasons.set(id, SkipReason.NO_EMAIL);
    else live.push(contact);
  }
  if (!live.length) return reasons;
  const emails = live.map((c) => c.primaryEmail!.trim().toLowerCase());
  const erased = await suppressedEmails(ctx, emails);
  const q = sql`select email, contact_id, kind from campaign_suppression where workspace_id = ${ctx.principal.workspaceId}
    and (email in (${Sql.join(
      emails.map((e) => sql`${e}`),
      ', ',
    )}) or contact_id in (${Sql.join(
      live.map((c) => sql`${c.id}`),
      ', ',
    )}))`;
  const rows = await ctx.em.execute<{ email: string; contact_id: string | null; kind: SuppressionKind }[]>(q.text, q.params);
  for (const contact of live) {
    const email = contact.primaryEmail!.trim().toLowerCase();
    if (erased.has(email)) {
      reasons.set(contact.id, SkipReason.PRIVACY_SUPPRESSED);
      continue;
    }
    const kinds = new Set(rows.filter((r) => r.email === email || r.contact_id === contact.id).map((r) => r.kind));
    const kind = ORDER.find((k) => kinds.has(k));
    if (kind) reasons.set(contact.id, KIND_REASON[kind]);
  }
  return reasons;
}
