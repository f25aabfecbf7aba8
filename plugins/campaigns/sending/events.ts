import { defineEvent } from '../../../src/sdk/index.js';

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
