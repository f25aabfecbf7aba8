import { InputRejected, type RequestContext } from '../../../src/sdk/index.js';
import type { CampaignSegment } from './entities.js';

/** Placeholder until the SDK's contact rules land: dynamic segments are refused. */
export async function checkSegmentRules(_ctx: RequestContext, _rules: unknown, path: string): Promise<unknown> {
  throw InputRejected.one(path, 'dynamic segments are not available yet');
}

export async function refreshSegment(_ctx: RequestContext, _segment: CampaignSegment, _compiled: unknown): Promise<void> {}
