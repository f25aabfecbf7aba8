import { InputRejected, Sql, defineContactFact, expectGlobalId, raw, sql, z, type DomainEvent } from '../../../src/sdk/index.js';
import { CAMPAIGN } from '../campaigns/campaign.service.js';
import { campaignEmailClicked, campaignEmailDelivered, campaignEmailOpened } from '../sending/events.js';

/**
 * Engagement facts dynamic segments can name: opened / clicked a campaign (or any) in the last N days, never opened.
 * Human engagement only (machine opens and clicks are left out, tracking/machine.ts); a click counts as an open (the
 * pixel is often blocked while the link is followed). They follow the engagement events of the contact.
 */

const campaignId = z
  .string()
  .optional()
  .transform((value, issue) => {
    if (value === undefined) return undefined;
    try {
      return expectGlobalId(value, CAMPAIGN, 'campaignId');
    } catch (error) {
      if (!(error instanceof InputRejected)) throw error;
      issue.addIssue({ code: 'custom', message: 'a global id of a Campaign' });
      return z.NEVER;
    }
  });
const withinLastDays = z.number().int().min(1).max(3650).optional();

const contactOf = async (event: DomainEvent) => {
  const id = (event.payload as { contactId?: unknown }).contactId;
  return typeof id === 'string' ? [id] : [];
};

function engagementOf(
  contact: string,
  workspaceId: string,
  kinds: readonly string[],
  params: { campaignId?: string; withinLastDays?: number },
  now: Date,
): Sql {
  const since = params.withinLastDays === undefined ? null : new Date(now.getTime() - params.withinLastDays * 86_400_000);
  return sql`exists (select 1 from campaign_engagement e where e.workspace_id = ${workspaceId} and e.contact_id = ${raw(contact)}.id
    and not e.machine and e.kind in (${Sql.join(
      kinds.map((k) => sql`${k}`),
      ', ',
    )})${params.campaignId ? sql` and e.campaign_id = ${params.campaignId}` : sql``}${
      since ? sql` and e.occurred_at >= ${since.toISOString()}::timestamptz and e.occurred_at <= ${now.toISOString()}::timestamptz` : sql``
    })`;
}

export const openedFact = defineContactFact({
  key: 'campaigns.opened',
  description: 'The contact opened (or clicked) campaignId — any campaign without it — in the last withinLastDays days (ever without it)',
  params: z.strictObject({ campaignId, withinLastDays }),
  condition: (params, { contact, workspaceId, now }) => engagementOf(contact, workspaceId, ['open', 'click'], params, now),
  dependsOn: { events: [campaignEmailOpened.type, campaignEmailClicked.type], contactIdsOf: contactOf },
  timeBased: true,
});

export const clickedFact = defineContactFact({
  key: 'campaigns.clicked',
  description: 'The contact clicked a link of campaignId — any campaign without it — in the last withinLastDays days (ever without it)',
  params: z.strictObject({ campaignId, withinLastDays }),
  condition: (params, { contact, workspaceId, now }) => engagementOf(contact, workspaceId, ['click'], params, now),
  dependsOn: { events: [campaignEmailClicked.type], contactIdsOf: contactOf },
  timeBased: true,
});

export const neverOpenedFact = defineContactFact({
  key: 'campaigns.neverOpened',
  description: 'The contact received campaignId (any campaign without it) and never opened or clicked it',
  params: z.strictObject({ campaignId }),
  condition: (params, { contact, workspaceId, now }) => {
    const ofCampaign = params.campaignId ? sql` and s.campaign_id = ${params.campaignId}` : sql``;
    return sql`(exists (select 1 from campaign_send s where s.workspace_id = ${workspaceId} and s.contact_id = ${raw(contact)}.id
      and s.message_id is not null${ofCampaign}) and not ${engagementOf(contact, workspaceId, ['open', 'click'], params, now)})`;
  },
  dependsOn: { events: [campaignEmailDelivered.type, campaignEmailOpened.type, campaignEmailClicked.type], contactIdsOf: contactOf },
});

export const engagementFacts = [openedFact, clickedFact, neverOpenedFact];
