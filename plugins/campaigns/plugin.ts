/**
 * campaigns: static lists and dynamic segments of contacts, email templates, email campaigns with suppression,
 * tracking and statistics, sequences. See README.md.
 */
import { definePlugin, mergeRuleDeclarations } from '../../src/sdk/index.js';
import { Migration20261210000000CampaignSegments } from './migrations/Migration20261210000000CampaignSegments.js';
import { PLUGIN_ID, campaignPermissions } from './permissions.js';
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
import { campaignSettings } from './settings.js';
import { seedSegmentDemo } from './segments/demo-data.js';

export default definePlugin({
  id: PLUGIN_ID,
  name: 'Campaigns',
  version: '1.0.0',
  kernel: '^1.0.0',
  enabledByDefault: false,
  entities: [...segmentEntities],
  migrations: [{ name: 'Migration20261210000000CampaignSegments', class: Migration20261210000000CampaignSegments }],
  resolvers: [...segmentResolvers],
  rules: mergeRuleDeclarations([segmentRules]),
  nodeTypes: [segmentNodeType],
  events: [...SEGMENT_EVENTS],
  automation: segmentAutomation,
  subscribers: [...segmentSubscribers],
  jobs: [...segmentJobs],
  permissions: campaignPermissions,
  settings: campaignSettings,
  demoData: (context) => seedSegmentDemo(context),
});
