import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';
import { Workspace } from '../workspaces/workspace.entity.js';
import type { RuleDefinition } from './definition.js';

/**
 * An automation rule of a workspace (`automation:manage`). What it does lives in its versions: every change of the
 * definition adds one, and a run keeps the version it started with. `triggerKeys` are the event types that can start
 * it (matched with one indexed lookup per event); `source` names the default rule a plugin contributed, if it is one.
 */
@Entity({ tableName: 'automation_rule' })
@TenantFilter()
@Index({
  name: 'automation_rule_trigger_keys_idx',
  expression: 'create index "automation_rule_trigger_keys_idx" on "automation_rule" using gin ("trigger_keys")',
})
@Unique({ name: 'automation_rule_workspace_source_unique', properties: ['workspaceId', 'source'] })
export class AutomationRule extends TenantEntity {
  @Property({ type: 'integer', version: true })
  version!: number;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'string', length: 1000, nullable: true })
  description?: string | null;

  @Property({ type: 'boolean', default: true })
  enabled: Opt<boolean> = true;

  @Property({ type: 'text[]' })
  triggerKeys!: string[];

  /** The definition's version new runs start on. */
  @Property({ type: 'integer', default: 1 })
  currentVersion: Opt<number> = 1;

  /** Whose permissions the actions write with (null: the workspace itself, as the system). */
  @Property({ type: 'uuid', nullable: true })
  ownerId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  createdBy?: string | null;

  /** `<plugin>/<name>` of a default rule (null: made by an admin). */
  @Property({ type: 'string', length: 120, nullable: true })
  source?: string | null;
}

/** One version of a rule's definition (trigger, conditions, actions), never changed once written. */
@Entity({ tableName: 'automation_rule_version' })
@TenantFilter()
@Unique({ name: 'automation_rule_version_unique', properties: ['rule', 'version'] })
export class AutomationRuleVersion {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;

  @ManyToOne({ entity: () => AutomationRule, deleteRule: 'cascade' })
  rule!: AutomationRule;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'json' })
  definition!: RuleDefinition;

  @Property({ type: 'uuid', nullable: true })
  createdBy?: string | null;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt: Opt<Date> = new Date();
}

/**
 * One run of a rule: what started it, where it is (`pc`: the next instruction of the compiled actions), and how it
 * ended. status: `queued` → `running` → `waiting` (a wait step; resumes at `resumeAt`) → `succeeded` | `failed` |
 * `stopped` (the loop limit, or the rule was deleted). `dedupeKey` makes a start idempotent (the trigger event's
 * id, or the record and the date a time trigger fired for).
 */
@Entity({ tableName: 'automation_run' })
@TenantFilter()
@Unique({ name: 'automation_run_rule_dedupe_unique', properties: ['rule', 'dedupeKey'] })
@Index({ name: 'automation_run_rule_created_idx', properties: ['rule', 'createdAt'] })
@Index({ name: 'automation_run_workspace_created_idx', properties: ['workspaceId', 'createdAt'] })
@Index({ name: 'automation_run_status_resume_idx', properties: ['status', 'resumeAt'] })
export class AutomationRun extends TenantEntity {
  @ManyToOne({ entity: () => AutomationRule, deleteRule: 'cascade' })
  rule!: AutomationRule;

  @Property({ type: 'integer' })
  ruleVersion!: number;

  @Property({ type: 'string', length: 16, default: 'queued' })
  status: Opt<string> = 'queued';

  /** `{ kind, eventId?, eventType?, firedFor? }`. */
  @Property({ type: 'json' })
  trigger!: Record<string, unknown>;

  @Property({ type: 'string', length: 300 })
  dedupeKey!: string;

  @Property({ type: 'string', length: 60, nullable: true })
  recordType?: string | null;

  @Property({ type: 'uuid', nullable: true })
  recordId?: string | null;

  /** The runs that led here, oldest first, this one last. */
  @Property({ type: 'json' })
  causation!: { ruleId: string; runId: string }[];

  @Property({ type: 'integer', default: 0 })
  pc: Opt<number> = 0;

  @Property({ type: 'datetime', nullable: true })
  resumeAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'datetime', nullable: true })
  startedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date | null;
}

/** One step of a run: the action, its input as resolved, its outcome, output or error, and timing. */
@Entity({ tableName: 'automation_run_step' })
@TenantFilter()
@Index({ name: 'automation_run_step_run_idx', properties: ['run', 'stepNo'] })
export class AutomationRunStep {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;

  @ManyToOne({ entity: () => AutomationRun, deleteRule: 'cascade' })
  run!: AutomationRun;

  @Property({ type: 'integer' })
  stepNo!: number;

  /** Where the step sits in the definition: `actions[2]`, `actions[1].actions[0]`. */
  @Property({ type: 'string', length: 200 })
  path!: string;

  @Property({ type: 'string', length: 80 })
  action!: string;

  @Property({ type: 'json', nullable: true })
  input?: unknown;

  @Property({ type: 'json', nullable: true })
  output?: unknown;

  /** `succeeded` | `failed` | `waiting` | `skipped`. */
  @Property({ type: 'string', length: 16 })
  outcome!: string;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'datetime' })
  startedAt!: Date;

  @Property({ type: 'integer' })
  durationMs!: number;
}

/** State a rule keeps between runs (the round-robin pointer of an assign step: key `roundRobin:<path>`). */
@Entity({ tableName: 'automation_rule_state' })
@TenantFilter()
export class AutomationRuleState {
  @ManyToOne({ entity: () => AutomationRule, deleteRule: 'cascade', primary: true })
  rule!: AutomationRule;

  @PrimaryKey({ type: 'string', length: 200 })
  key!: string;

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;

  @Property({ type: 'json' })
  value!: unknown;
}

/** That a workspace had a module's default rule (`source`): it is not created again, even after an admin deleted it. */
@Entity({ tableName: 'automation_default_rule' })
@TenantFilter()
export class AutomationDefaultRule {
  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', primary: true })
  workspaceId!: string;

  @PrimaryKey({ type: 'string', length: 120 })
  source!: string;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt: Opt<Date> = new Date();
}
