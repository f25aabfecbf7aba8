import { defineEvent, emitEvent, recordTimelineEvent, type EventType, type RequestContext } from '../../../src/sdk/index.js';

/** What every campaign engagement event carries (raw uuids). */
export interface CampaignEmailEvent {
  campaignId: string;
  sendId: string;
  contactId: string;
  /** Opens and clicks: a privacy proxy's prefetch or a link scanner rather than a person (left out of human counts). */
  machine?: boolean;
  /** Clicks: the campaign's recorded link. */
  url?: string;
}

export const campaignEmailDelivered = defineEvent<CampaignEmailEvent>('campaign.emailDelivered');
export const campaignEmailBounced = defineEvent<CampaignEmailEvent>('campaign.emailBounced');
export const campaignEmailOpened = defineEvent<CampaignEmailEvent>('campaign.emailOpened');
export const campaignEmailClicked = defineEvent<CampaignEmailEvent>('campaign.emailClicked');
export const campaignEmailUnsubscribed = defineEvent<CampaignEmailEvent>('campaign.emailUnsubscribed');

export const CAMPAIGN_EVENTS = [
  campaignEmailDelivered,
  campaignEmailBounced,
  campaignEmailOpened,
  campaignEmailClicked,
  campaignEmailUnsubscribed,
];

/** Timeline entry types on the contact. */
export const CAMPAIGN_TIMELINE_ENTRY_TYPES = [
  'campaign.emailBounced',
  'campaign.emailOpened',
  'campaign.emailClicked',
  'campaign.emailUnsubscribed',
];

/** Emits a campaign engagement event and puts it on its contact's timeline, in the caller's transaction. */
export async function recordEngagementEvent(
  em: RequestContext['em'],
  workspaceId: string,
  event: EventType<CampaignEmailEvent>,
  payload: CampaignEmailEvent,
  entry: { title: string; body?: string | null; occurredAt: Date },
): Promise<void> {
  await emitEvent(em, event, payload, { workspaceId });
  await recordTimelineEvent(em, {
    entryType: event.type,
    ...entry,
    data: payload as unknown as Record<string, unknown>,
    targets: [{ type: 'Contact', id: payload.contactId }],
  });
}
