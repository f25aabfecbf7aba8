import { requires, signedIn, type AutomationContribution, type RuleDeclarations } from '../../../src/sdk/index.js';
import { CAMPAIGN_MANAGE, CAMPAIGN_READ } from '../permissions.js';
import { CampaignSegment, segmentEntities } from './entities.js';
import { SEGMENT_EVENTS, aboutTheirContact } from './events.js';
import { CampaignSegmentResolver, liveSegments } from './segment.resolver.js';
import { SEGMENT } from './segment.service.js';
import { CampaignSegmentPreviewResolver, ContactSegmentsResolver } from './preview.resolver.js';
import { followSegmentChanges, refreshSegmentsJob } from './follow-changes.js';

export { segmentEntities, SEGMENT_EVENTS };
export const segmentResolvers = [CampaignSegmentResolver, CampaignSegmentPreviewResolver, ContactSegmentsResolver];
export const segmentSubscribers = [followSegmentChanges];
export const segmentJobs = [refreshSegmentsJob];

const manage = requires(CAMPAIGN_MANAGE);
export const segmentRules: RuleDeclarations = {
  Query: {
    campaignSegments: requires(CAMPAIGN_READ),
    campaignSegment: requires(CAMPAIGN_READ),
    campaignSegmentPreview: requires(CAMPAIGN_READ),
  },
  Mutation: {
    createCampaignSegment: manage,
    updateCampaignSegment: manage,
    deleteCampaignSegment: manage,
    addCampaignListMembers: manage,
    removeCampaignListMembers: manage,
    importCampaignListCsv: manage,
  },
  types: {
    CampaignSegment: { '*': signedIn, members: requires('contact:read') },
    CampaignSegmentEdge: { '*': signedIn },
    CampaignSegmentConnection: { '*': signedIn },
    CampaignSegmentPayload: { '*': signedIn },
    DeleteCampaignSegmentPayload: { '*': signedIn },
    CampaignListMembersPayload: { '*': signedIn },
    ImportCampaignListPayload: { '*': signedIn },
    CampaignSegmentPreview: { '*': signedIn, contacts: requires('contact:read') },
    Contact: { campaignSegments: requires(CAMPAIGN_READ), campaignSegmentCount: requires(CAMPAIGN_READ) },
  },
};

export const segmentNodeType = {
  typeName: SEGMENT,
  rootClass: CampaignSegment,
  permission: CAMPAIGN_READ,
  load: (ctx: Parameters<typeof liveSegments>[0], id: string) => liveSegments(ctx).load(id),
};

/** Rules triggered by `segment.entered` / `segment.exited` are about the contact (its fields in conditions and actions). */
export const segmentAutomation: AutomationContribution = {
  eventRecords: aboutTheirContact(SEGMENT_EVENTS),
};
