/**
 * campaigns: static lists and dynamic segments of contacts, email templates, email campaigns with suppression,
 * tracking and statistics, sequences. See README.md.
 */
import { definePlugin, mergeRuleDeclarations, requires, signedIn, type RuleDeclarations } from '../../src/sdk/index.js';
import { campaignEntities } from './campaigns/entities.js';
import { CampaignResolver } from './campaigns/campaign.resolver.js';
import { Migration20261210000000CampaignSegments } from './migrations/Migration20261210000000CampaignSegments.js';
import { Migration20261210100000Campaigns } from './migrations/Migration20261210100000Campaigns.js';
import { Migration20261211000000CampaignSequences } from './migrations/Migration20261211000000CampaignSequences.js';
import { CAMPAIGN_MANAGE, CAMPAIGN_READ, CAMPAIGN_SEND, PLUGIN_ID, campaignPermissions } from './permissions.js';
import {
  SEGMENT_EVENTS,
  segmentAutomation,
  segmentEntities,
  segmentJobs,
  segmentSubscribers,
  segmentNodeType,
  segmentResolvers,
  segmentRules,
} from './segments/index.js';
import { seedSegmentDemo } from './segments/demo-data.js';
import { seedSequenceDemo } from './sequences/demo-data.js';
import {
  enrollInSequenceAction,
  sequenceEntities,
  sequenceJobs,
  sequenceResolvers,
  sequenceRules,
  sequenceSubscribers,
} from './sequences/index.js';
import { deliverySubscribers } from './sending/delivery-events.js';
import { campaignJobs } from './sending/engine.js';
import { sendingEntities } from './sending/entities.js';
import { CAMPAIGN_EVENTS, CAMPAIGN_TIMELINE_ENTRY_TYPES } from './sending/events.js';
import { CampaignSendingResolver } from './sending/sending.resolver.js';
import { campaignSettings } from './settings.js';
import { templateEntities } from './templates/entities.js';
import { CampaignTemplateResolver } from './templates/template.resolver.js';
import { trackingEntities } from './tracking/entities.js';
import { engagementEventRecords, engagementFacts, trackingRoutes } from './tracking/index.js';
import { CampaignStatsResolver } from './tracking/stats.js';

const read = requires(CAMPAIGN_READ);
const manage = requires(CAMPAIGN_MANAGE);
const send = requires(CAMPAIGN_SEND);

const rules: RuleDeclarations = {
  Query: {
    campaignTemplates: read,
    campaignTemplate: read,
    previewCampaignTemplate: read,
    campaigns: read,
    campaign: read,
  },
  Mutation: {
    createCampaignTemplate: manage,
    updateCampaignTemplate: manage,
    deleteCampaignTemplate: manage,
    createCampaign: manage,
    updateCampaign: manage,
    deleteCampaign: manage,
    scheduleCampaign: send,
    sendCampaignNow: send,
    cancelCampaign: send,
    retryFailedCampaignSends: send,
  },
  types: {
    // reachable only through the guarded root fields above
    CampaignTemplate: { '*': signedIn },
    CampaignTemplatePayload: { '*': signedIn },
    DeleteCampaignTemplatePayload: { '*': signedIn },
    CampaignTemplatePreview: { '*': signedIn },
    PreviewCampaignTemplatePayload: { '*': signedIn },
    Campaign: { '*': signedIn },
    CampaignPayload: { '*': signedIn },
    DeleteCampaignPayload: { '*': signedIn },
    RetryFailedCampaignSendsPayload: { '*': signedIn },
    CampaignStats: { '*': signedIn },
    CampaignSkipCount: { '*': signedIn },
    CampaignLinkStats: { '*': signedIn },
  },
};

export default definePlugin({
  id: PLUGIN_ID,
  name: 'Campaigns',
  version: '1.0.0',
  kernel: '^1.0.0',
  enabledByDefault: false,
  entities: [...segmentEntities, ...templateEntities, ...campaignEntities, ...sendingEntities, ...trackingEntities, ...sequenceEntities],
  migrations: [
    { name: 'Migration20261210000000CampaignSegments', class: Migration20261210000000CampaignSegments },
    { name: 'Migration20261210100000Campaigns', class: Migration20261210100000Campaigns },
    { name: 'Migration20261211000000CampaignSequences', class: Migration20261211000000CampaignSequences },
  ],
  resolvers: [
    ...segmentResolvers,
    CampaignTemplateResolver,
    CampaignResolver,
    CampaignSendingResolver,
    CampaignStatsResolver,
    ...sequenceResolvers,
  ],
  rules: mergeRuleDeclarations([segmentRules, rules, sequenceRules]),
  nodeTypes: [segmentNodeType],
  automation: {
    ...segmentAutomation,
    actions: [enrollInSequenceAction],
    eventRecords: [...(segmentAutomation.eventRecords ?? []), ...engagementEventRecords],
  },
  contactFacts: engagementFacts,
  httpRoutes: trackingRoutes,
  permissions: campaignPermissions,
  events: [...SEGMENT_EVENTS, ...CAMPAIGN_EVENTS],
  timelineEntryTypes: CAMPAIGN_TIMELINE_ENTRY_TYPES,
  subscribers: [...segmentSubscribers, ...deliverySubscribers, ...sequenceSubscribers],
  jobs: [...segmentJobs, ...campaignJobs, ...sequenceJobs],
  settings: campaignSettings,
  demoData: async (context) => {
    await seedSegmentDemo(context);
    await seedSequenceDemo(context);
  },
});
