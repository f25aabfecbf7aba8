import type { PluginManifest } from '../../src/sdk/index.js';

export const PLUGIN_ID = 'campaigns';

export const CAMPAIGN_READ = 'campaign:read';
export const CAMPAIGN_MANAGE = 'campaign:manage';
export const CAMPAIGN_SEND = 'campaign:send';

export const campaignPermissions: NonNullable<PluginManifest['permissions']> = [
  {
    name: CAMPAIGN_READ,
    description: 'See segments, templates, campaigns, sequences and their statistics (campaigns)',
    scoped: false,
    roleGrants: { MANAGER: 'ALL', MARKETING: 'ALL', SALES: 'ALL', READ_ONLY: 'ALL' },
  },
  {
    name: CAMPAIGN_MANAGE,
    description: 'Create, change and delete segments, lists, templates, campaigns and sequences (campaigns)',
    scoped: false,
    roleGrants: { MARKETING: 'ALL' },
  },
  {
    name: CAMPAIGN_SEND,
    description: 'Schedule, send, cancel and retry campaigns (campaigns)',
    scoped: false,
    roleGrants: { MARKETING: 'ALL' },
  },
];
