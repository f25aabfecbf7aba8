import type { Opt } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Company, Contact, EditableTenantEntity, Tag, TenantEntity, TenantFilter, User, Workspace } from '../../src/sdk/index.js';

/**
 * The pipeline plugin's tables (migration Migration20261201100000Pipeline). Reads go through SQL and `readRows`;
 * the entities are the schema contract (the contract kit diffs them against the migration) and the write path of
 * pipelines, stages and deals. Ids of related rows are mapped to plain uuids (`mapToPk`).
 */

export enum StageKind {
  OPEN = 'open',
  WON = 'won',
  LOST = 'lost',
}

export enum DealStatus {
  OPEN = 'open',
  WON = 'won',
  LOST = 'lost',
}

export enum DealPriority {
  LOW = 'low',
  MEDIUM = 'medium',
  HIGH = 'high',
  URGENT = 'urgent',
}

@Entity({ tableName: 'pipeline' })
@TenantFilter()
@Index({
  name: 'pipeline_workspace_id_name_live_unique',
  expression:
    'create unique index "pipeline_workspace_id_name_live_unique" on "pipeline" ("workspace_id", lower("name")) where "deleted_at" is null',
})
export class Pipeline extends EditableTenantEntity {
  @Property({ type: 'string', length: 120 })
  name!: string;

  @Property({ type: 'integer', default: 0 })
  position: Opt<number> = 0;

  @Property({ type: 'boolean', default: false })
  isDefault: Opt<boolean> = false;
}

@Entity({ tableName: 'pipeline_stage' })
@TenantFilter()
@Index({ properties: ['pipelineId', 'position'] })
@Index({
  name: 'pipeline_stage_pipeline_id_name_unique',
  expression: 'create unique index "pipeline_stage_pipeline_id_name_unique" on "pipeline_stage" ("pipeline_id", lower("name"))',
})
@Check({ name: 'pipeline_stage_probability_check', expression: '"probability" >= 0 and "probability" <= 100' })
@Check({ name: 'pipeline_stage_kind_check', expression: `"kind" in ('open', 'won', 'lost')` })
@Check({ name: 'pipeline_stage_rotting_days_check', expression: '"rotting_days" is null or "rotting_days" > 0' })
export class PipelineStage extends TenantEntity {
  @ManyToOne({ entity: () => Pipeline, fieldName: 'pipeline_id', mapToPk: true, deleteRule: 'cascade' })
  pipelineId!: string;

  @Property({ type: 'string', length: 120 })
  name!: string;

  @Property({ type: 'integer', default: 0 })
  position: Opt<number> = 0;

  /** Whole percent, 0–100. */
  @Property({ type: 'integer', default: 0 })
  probability: Opt<number> = 0;

  @Property({ type: 'string', length: 8, default: 'open' })
  kind: Opt<StageKind> = StageKind.OPEN;

  @Property({ type: 'integer', nullable: true })
  rottingDays?: number | null;
}

@Entity({ tableName: 'deal' })
@TenantFilter()
@Index({ properties: ['workspaceId', 'createdAt', 'id'] })
@Index({ properties: ['pipelineId', 'stageId'] })
@Index({ properties: ['stageId'] })
@Index({ properties: ['ownerId'] })
@Index({ properties: ['companyId'] })
@Index({ properties: ['workspaceId', 'expectedCloseDate'] })
@Index({ name: 'deal_name_trgm', expression: 'create index "deal_name_trgm" on "deal" using gin (lower("name") gin_trgm_ops)' })
@Index({
  name: 'deal_custom_fields_gin',
  expression: 'create index "deal_custom_fields_gin" on "deal" using gin ("custom_fields" jsonb_path_ops)',
})
// the forecast's partial covering indexes (migrations/Migration20261201200000PipelineForecastIndexes.ts)
@Index({
  name: 'deal_forecast_open_index',
  expression: `create index "deal_forecast_open_index" on "deal" ("workspace_id", "expected_close_date") include ("currency", "amount", "owner_id", "pipeline_id", "stage_id") where "status" = 'open' and "deleted_at" is null`,
})
@Index({
  name: 'deal_forecast_closed_index',
  expression: `create index "deal_forecast_closed_index" on "deal" ("workspace_id", "closed_at") include ("status", "currency", "amount", "created_at", "owner_id", "pipeline_id") where "closed_at" is not null and "deleted_at" is null`,
})
@Check({ name: 'deal_amount_check', expression: '"amount" is null or "amount" >= 0' })
@Check({ name: 'deal_money_check', expression: '("amount" is null) = ("currency" is null)' })
@Check({ name: 'deal_status_check', expression: `"status" in ('open', 'won', 'lost')` })
@Check({ name: 'deal_priority_check', expression: `"priority" is null or "priority" in ('low', 'medium', 'high', 'urgent')` })
export class Deal extends EditableTenantEntity {
  @Property({ type: 'string', length: 200 })
  name!: string;

  /** Integer minor units of `currency`. */
  @Property({ type: 'bigint', nullable: true })
  amount?: number | null;

  @Property({ type: 'character', length: 3, nullable: true })
  currency?: string | null;

  /** `YYYY-MM-DD`. */
  @Property({ type: 'date', nullable: true })
  expectedCloseDate?: string | null;

  @ManyToOne({ entity: () => User, fieldName: 'owner_id', mapToPk: true, nullable: true, deleteRule: 'set null' })
  ownerId?: string | null;

  @ManyToOne({ entity: () => Company, fieldName: 'company_id', mapToPk: true, nullable: true, deleteRule: 'set null' })
  companyId?: string | null;

  @ManyToOne({ entity: () => Pipeline, fieldName: 'pipeline_id', mapToPk: true })
  pipelineId!: string;

  @ManyToOne({ entity: () => PipelineStage, fieldName: 'stage_id', mapToPk: true })
  stageId!: string;

  @Property({ type: 'string', length: 8, default: 'open' })
  status: Opt<DealStatus> = DealStatus.OPEN;

  @Property({ type: 'string', length: 500, nullable: true })
  lostReason?: string | null;

  @Property({ type: 'string', length: 120, nullable: true })
  source?: string | null;

  @Property({ type: 'string', length: 8, nullable: true })
  priority?: DealPriority | null;

  @Property({ type: 'json', default: "'{}'" })
  customFields: Opt<Record<string, unknown>> = {};

  @Property({ type: 'datetime' })
  stageEnteredAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  closedAt?: Date | null;
}

@Entity({ tableName: 'deal_contact' })
@TenantFilter()
export class DealContact {
  @ManyToOne({ entity: () => Deal, fieldName: 'deal_id', mapToPk: true, primary: true, deleteRule: 'cascade', updateRule: 'no action' })
  dealId!: string;

  @ManyToOne({
    entity: () => Contact,
    fieldName: 'contact_id',
    mapToPk: true,
    primary: true,
    deleteRule: 'cascade',
    updateRule: 'no action',
    index: true,
  })
  contactId!: string;

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;

  @Property({ type: 'string', length: 80, nullable: true })
  role?: string | null;

  @Property({ type: 'boolean', default: false })
  isPrimary: Opt<boolean> = false;

  @Property({ type: 'integer', default: 0 })
  position: Opt<number> = 0;
}

@Entity({ tableName: 'deal_tag' })
@TenantFilter()
export class DealTag {
  @ManyToOne({ entity: () => Deal, fieldName: 'deal_id', mapToPk: true, primary: true, deleteRule: 'cascade', updateRule: 'no action' })
  dealId!: string;

  @ManyToOne({
    entity: () => Tag,
    fieldName: 'tag_id',
    mapToPk: true,
    primary: true,
    deleteRule: 'cascade',
    updateRule: 'no action',
    index: true,
  })
  tagId!: string;

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;
}

/** One stay of a deal in a stage: entered, left (null while there), by whom. */
@Entity({ tableName: 'deal_stage_history' })
@TenantFilter()
@Index({ properties: ['dealId', 'enteredAt'] })
@Index({ properties: ['stageId'] })
export class DealStageHistory extends TenantEntity {
  @ManyToOne({ entity: () => Deal, fieldName: 'deal_id', mapToPk: true, deleteRule: 'cascade' })
  dealId!: string;

  /** Plain ids: history outlives deleted stages and pipelines. */
  @Property({ type: 'uuid' })
  pipelineId!: string;

  @Property({ type: 'uuid' })
  stageId!: string;

  @Property({ type: 'datetime' })
  enteredAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  leftAt?: Date | null;

  @ManyToOne({ entity: () => User, fieldName: 'entered_by_id', mapToPk: true, nullable: true, deleteRule: 'set null' })
  enteredById?: string | null;

  @ManyToOne({ entity: () => User, fieldName: 'left_by_id', mapToPk: true, nullable: true, deleteRule: 'set null' })
  leftById?: string | null;
}

/** The rotting job's claims: one reminder task per deal and stay in a stage. */
@Entity({ tableName: 'deal_rotting_reminder' })
@TenantFilter()
export class DealRottingReminder {
  @ManyToOne({ entity: () => Deal, fieldName: 'deal_id', mapToPk: true, primary: true, deleteRule: 'cascade', updateRule: 'no action' })
  dealId!: string;

  @PrimaryKey({ type: 'uuid' })
  stageId!: string;

  @PrimaryKey({ type: 'datetime' })
  stageEnteredAt!: Date;

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;

  @Property({ type: 'uuid', nullable: true })
  taskId?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

export const pipelineEntities = [Pipeline, PipelineStage, Deal, DealContact, DealTag, DealStageHistory, DealRottingReminder];
