import type { RecordScope } from '../../../src/sdk/index.js';

export const DEAL = 'Deal';
export const PIPELINE = 'Pipeline';
export const PIPELINE_STAGE = 'PipelineStage';
export const PLUGIN_ID = 'pipeline';

/** A deal belongs to its owner (`deal.owner_id`): own / team / all scopes of the deal permissions. */
export const DEAL_SCOPE: RecordScope = {
  type: DEAL,
  read: 'deal:read',
  update: 'deal:update',
  delete: 'deal:delete',
  owners: ['owner_id'],
};
export const COMPANY_READ: RecordScope = {
  type: 'Company',
  read: 'company:read',
  update: 'company:update',
  delete: 'company:delete',
  owners: ['owner_id'],
};
export const CONTACT_READ: RecordScope = {
  type: 'Contact',
  read: 'contact:read',
  update: 'contact:update',
  delete: 'contact:delete',
  owners: ['owner_id'],
};

export const PIPELINE_MANAGE = 'pipeline:manage';
