/**
 * pipeline: sales pipelines with ordered stages, deals moving through them (stage history, won / lost, timeline
 * entries, domain events), fields on companies and contacts, deal search, forecasts and automation. See README.md.
 */
import { definePlugin, mergeRuleDeclarations, requires, signedIn, type RuleDeclarations } from '../../src/sdk/index.js';
import { Pipeline, PipelineStage, pipelineEntities } from './entities.js';
import { Migration20261201100000Pipeline } from './migrations/Migration20261201100000Pipeline.js';
import { Migration20261201200000PipelineForecastIndexes } from './migrations/Migration20261201200000PipelineForecastIndexes.js';
import { Migration20261207000000PipelineDropProcessedEvents } from './migrations/Migration20261207000000PipelineDropProcessedEvents.js';
import { PipelineResolver, PipelineStageResolver, livePipelines } from './pipelines/pipeline.resolver.js';
import { DealResolver, DealTimelineFields } from './deals/deal.resolver.js';
import { deals } from './deals/deal.records.js';
import { DEAL_SCOPE, PIPELINE, PIPELINE_MANAGE, PIPELINE_STAGE, PLUGIN_ID } from './deals/deal-scope.js';
import { CompanyDealsFields, ContactDealsFields } from './extensions/kernel-fields.resolver.js';
import { dealSearchProvider } from './extensions/deal-search.js';
import { openDealInStage } from './extensions/open-deal-fact.js';
import { seedPipelineDemo } from './demo-data.js';
import { forecastResolvers, forecastRules } from './forecast/index.js';
import { automationNotificationTypes, pipelineAutomation, pipelineSettings, rottingJob } from './automation/index.js';
import { PIPELINE_EVENTS } from './events.js';
import { dealPrivacy } from './privacy/deal-privacy.js';

const manage = requires(PIPELINE_MANAGE);

const coreRules: RuleDeclarations = {
  Query: {
    pipelines: requires('deal:read'),
    pipeline: requires('deal:read'),
    deals: requires('deal:read'),
    deal: requires('deal:read'),
  },
  Mutation: {
    createPipeline: manage,
    updatePipeline: manage,
    deletePipeline: manage,
    addPipelineStage: manage,
    updatePipelineStage: manage,
    reorderPipelineStages: manage,
    deletePipelineStage: manage,
    createDeal: requires('deal:create'),
    updateDeal: requires('deal:update'),
    deleteDeal: requires('deal:delete'),
    restoreDeal: requires('deal:delete'),
    moveDealToStage: requires('deal:update'),
    markDealWon: requires('deal:update'),
    markDealLost: requires('deal:update'),
    reopenDeal: requires('deal:update'),
  },
  types: {
    // reachable only through the guarded root fields and relations above, which apply permissions and scope
    Deal: { '*': signedIn },
    DealEdge: { '*': signedIn },
    DealConnection: { '*': signedIn },
    DealContact: { '*': signedIn },
    DealStageStay: { '*': signedIn },
    DealPayload: { '*': signedIn },
    Pipeline: { '*': signedIn },
    PipelineStage: { '*': signedIn },
    PipelinePayload: { '*': signedIn },
    PipelineStagePayload: { '*': signedIn },
    DeletePipelinePayload: { '*': signedIn },
    Company: { deals: requires('deal:read'), openDealsValue: requires('deal:read') },
    Contact: { deals: requires('deal:read') },
  },
};

const TIMELINE_ENTRY_TYPES = ['deal.created', 'deal.stageChanged', 'deal.won', 'deal.lost', 'deal.reopened'];

export default definePlugin({
  id: PLUGIN_ID,
  name: 'Sales pipeline',
  version: '1.0.0',
  kernel: '^1.0.0',
  enabledByDefault: true,
  entities: pipelineEntities,
  migrations: [
    { name: 'Migration20261201100000Pipeline', class: Migration20261201100000Pipeline },
    { name: 'Migration20261201200000PipelineForecastIndexes', class: Migration20261201200000PipelineForecastIndexes },
    { name: 'Migration20261207000000PipelineDropProcessedEvents', class: Migration20261207000000PipelineDropProcessedEvents },
  ],
  resolvers: [
    PipelineResolver,
    PipelineStageResolver,
    DealResolver,
    DealTimelineFields,
    CompanyDealsFields,
    ContactDealsFields,
    ...forecastResolvers,
  ],
  rules: mergeRuleDeclarations([coreRules, forecastRules]),
  permissions: [
    {
      name: 'deal:read',
      description: 'See deals (pipeline)',
      scoped: true,
      roleGrants: { MANAGER: 'ALL', SALES: 'TEAM', SUPPORT: 'ALL', MARKETING: 'ALL', READ_ONLY: 'ALL' },
    },
    { name: 'deal:create', description: 'Create deals (pipeline)', scoped: false, roleGrants: { MANAGER: 'ALL', SALES: 'ALL' } },
    {
      name: 'deal:update',
      description: 'Edit deals and move them through stages (pipeline)',
      scoped: true,
      roleGrants: { MANAGER: 'TEAM', SALES: 'OWN' },
    },
    {
      name: 'deal:delete',
      description: 'Delete and restore deals (pipeline)',
      scoped: true,
      roleGrants: { MANAGER: 'TEAM', SALES: 'OWN' },
    },
    { name: 'pipeline:manage', description: 'Create, change and delete pipelines and their stages (pipeline)', scoped: false },
  ],
  // deals: node(id:), activity targets, custom fields and tags; pipelines and stages: node(id:) only
  recordTypes: [deals],
  nodeTypes: [
    { typeName: PIPELINE, rootClass: Pipeline, permission: DEAL_SCOPE.read, load: (ctx, id) => livePipelines(ctx).load(id) },
    {
      typeName: PIPELINE_STAGE,
      rootClass: PipelineStage,
      permission: DEAL_SCOPE.read,
      load: (ctx, id) => ctx.loaders.byId(PipelineStage).load(id),
    },
  ],
  events: PIPELINE_EVENTS,
  writePoints: ['deal.create', 'deal.update'],
  timelineEntryTypes: TIMELINE_ENTRY_TYPES,
  notificationTypes: automationNotificationTypes,
  searchProviders: [dealSearchProvider],
  automation: pipelineAutomation,
  contactFacts: [openDealInStage],
  privacy: dealPrivacy,
  jobs: [rottingJob],
  settings: pipelineSettings,
  demoData: (context) => seedPipelineDemo(context),
});
