import type { GraphQLClient } from '../../../src/sdk/testing.js';

export const SALES_STAGES = [
  { name: 'Lead', probability: 10, kind: 'OPEN', rottingDays: 14 },
  { name: 'Qualified', probability: 25, kind: 'OPEN' },
  { name: 'Proposal', probability: 50, kind: 'OPEN' },
  { name: 'Won', probability: 100, kind: 'WON' },
  { name: 'Lost', probability: 0, kind: 'LOST' },
];

export const PIPELINE_FIELDS = `id name isDefault version stages { id name position probability kind rottingDays }`;
export const CREATE_PIPELINE = `mutation($i: CreatePipelineInput!) { createPipeline(input: $i) { pipeline { ${PIPELINE_FIELDS} } userErrors { field message code } } }`;

export interface Stage {
  id: string;
  name: string;
  position: number;
  probability: number;
  kind: string;
  rottingDays: number | null;
}
export interface PipelineShape {
  id: string;
  name: string;
  isDefault: boolean;
  version: number;
  stages: Stage[];
}

export async function createPipeline(ws: GraphQLClient, name = 'Sales', stages = SALES_STAGES): Promise<PipelineShape> {
  const data = await ws.ok(CREATE_PIPELINE, { i: { name, stages } });
  if (data.createPipeline.userErrors.length) throw new Error(JSON.stringify(data.createPipeline.userErrors));
  return data.createPipeline.pipeline;
}

export const stageByName = (p: PipelineShape, name: string) => p.stages.find((s) => s.name === name)!;

export const DEAL_FIELDS = `id name status version lostReason source priority expectedCloseDate customFields closedAt stageEnteredAt timeInStageSeconds
  amount { amount currency } owner { id } company { id } pipeline { id } stage { id name }
  contacts { role isPrimary contact { id } } tags { id name }`;
export const CREATE_DEAL = `mutation($i: CreateDealInput!) { createDeal(input: $i) { deal { ${DEAL_FIELDS} } userErrors { field message code } } }`;

export async function createDeal(ws: GraphQLClient, input: Record<string, unknown>): Promise<any> {
  const data = await ws.ok(CREATE_DEAL, { i: input });
  if (data.createDeal.userErrors.length) throw new Error(JSON.stringify(data.createDeal.userErrors));
  return data.createDeal.deal;
}
