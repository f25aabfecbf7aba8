import type { ZodType } from 'zod';
import type { RequestContext } from '../../graphql/context.js';
import { AppSlot, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { ContributionRegistry } from '../../registries/contribution-registry.js';
import type { DomainEvent } from '../../events/handlers.js';
import type { Condition } from './definition.js';

/**
 * What rules can be about and do: record types (their fields, how to load a record's facts and write changes) and
 * actions. The kernel brings Contact and Company and its actions; plugins add theirs through the SDK (a manifest's
 * `automation`), in the app's catalog.
 */

export type FieldKind = 'string' | 'number' | 'date' | 'boolean' | 'enum' | 'user' | 'record' | 'tags' | 'idList' | 'json';

export interface AutomationField {
  kind: FieldKind;
  /** The allowed values of an `enum`. */
  values?: readonly string[];
  /** The protected field (src/permissions/protected-fields.ts) that hides this one. */
  protectedAs?: string;
  /** The key of the record type's update input an `updateFields` action writes it through. */
  writeAs?: string;
  /** Its key in an update event's `changes` when that is not its name (`ownerId` → `owner`). */
  changeKey?: string;
  label?: string;
}

/** A record as conditions see it: values by field path (`lifecycleStage`, `custom.tier`, `company.industry`, `tags`). */
export type Facts = Record<string, unknown>;

/** Changes an action asks of a record; each record type writes them through its kernel (or plugin) service. */
export interface RecordPatch {
  /** Update-input keys and values (`lifecycleStage: 'CUSTOMER'`). */
  fields?: Record<string, unknown>;
  customFields?: Record<string, unknown>;
  /** Raw user id (null: no owner). */
  ownerId?: string | null;
  addTagIds?: string[];
  removeTagIds?: string[];
}

export interface AutomationRecordType {
  /** The GraphQL type name (`Contact`). */
  name: string;
  /** Its events' first segment (`contact` in `contact.updated`). */
  eventPrefix: string;
  /** The object type of its custom fields (`custom.<key>` paths), if it has any. */
  customObjectType?: string;
  /** Related records whose fields conditions may read under a prefix: `{ company: 'Company' }`. */
  related?: Record<string, { recordType: string; idField: string }>;
  fields: Record<string, AutomationField>;
  /**
   * Events that move a field to a new value, for "record enters state" triggers, with how to read the new value from
   * the payload: `{ stageId: [{ event: 'deal.stageChanged', valueOf: (p) => p.toStageId }] }`. Without an entry a field
   * enters a state on `<prefix>.created` (the record's value) and `<prefix>.updated` (`changes[field].after`).
   */
  states?: Record<string, { event: string; valueOf(payload: Record<string, unknown>): unknown }[]>;
  /** Table and date columns, for time-relative triggers (`{ createdAt: 'created_at' }`; custom DATE fields are added). */
  table?: { name: string; dateColumns: Record<string, string>; liveWhere?: string };
  /** Facts of records by id, as `ctx` may see them (absent: not found or out of scope). */
  load(ctx: RequestContext, ids: string[]): Promise<Map<string, Facts>>;
  /** Writes a patch through the record type's service (validation, audit and events as for a person). */
  update?(ctx: RequestContext, id: string, patch: RecordPatch): Promise<void>;
}

/** What an action's `run` gets. */
export interface ActionContext<Params = Record<string, unknown>> {
  /** Acting as the rule's owner (or the system): kernel services validate, audit and emit events as for a person. */
  ctx: RequestContext;
  workspaceId: string;
  params: Params;
  rule: { id: string; name: string };
  run: { id: string };
  /** Where the step sits in the definition (`actions[2]`): the key of state a step keeps. */
  path: string;
  /** The record the run is about (null: a schedule's run). */
  record: { type: AutomationRecordType; id: string; facts: Facts } | null;
  /** The event that started the run, if one did. */
  event: Pick<DomainEvent, 'id' | 'type' | 'payload'> | null;
  now: Date;
  /** A test run: every write is rolled back afterwards; actions with effects outside the database describe them instead. */
  dryRun: boolean;
  /** State of this rule kept between runs (per key). */
  state: { get<T>(key: string): Promise<T | undefined>; set(key: string, value: unknown): Promise<void> };
  /** Evaluates a condition on the run's record (the catalog's semantics). */
  holds(condition: Condition): boolean;
  catalog: AutomationCatalog;
}

export interface ActionValidation<Params> {
  params: Params;
  /** The record type of the rule (null: no record, a schedule). */
  recordType: AutomationRecordType | null;
  /** The rule author's request context (their permissions and field allowlist). */
  ctx: RequestContext;
  /** Where the step sits: problems are reported under `<path>.<param>`. */
  path: string;
  catalog: AutomationCatalog;
}

// biome-ignore lint/suspicious/noExplicitAny: the catalog holds actions of every parameter type
export interface AutomationAction<Params = any> {
  /** `createTask`, or `<plugin>.<action>` for a plugin's. */
  type: string;
  description: string;
  /** Its parameters' shape; problems are reported per parameter. */
  params: ZodType<Params>;
  /** The record types it works on (absent: any, and runs without a record too). */
  recordTypes?: readonly string[];
  /** Checks beyond the shape (does the template, the endpoint, the team exist?), when the rule is saved. */
  validate?(input: ActionValidation<Params>): Promise<void>;
  /** Does it; returns what to record as the step's output. Throw `InputRejected` to fail the step (and the run). */
  run(context: ActionContext<Params>): Promise<Record<string, unknown> | undefined>;
}

/**
 * A rule a module gives every workspace where it is enabled, as an ordinary rule admins can edit, switch off or delete
 * (a deleted default rule does not come back). Created the first time the workspace's rules are listed or an event
 * its trigger names happens there.
 */
export interface DefaultRule {
  /** Unique within the plugin: its rules' `source` is `<plugin>/<name>`. */
  name: string;
  title: string;
  description?: string;
  /** A rule definition (`{ trigger, conditions?, actions }`), checked like an admin's when it is created. */
  definition: unknown;
}

/**
 * A plugin's event about a record of another type (`segment.entered` is about a Contact): rules triggered by it are
 * about that record, read from the payload.
 */
export interface AutomationEventRecord {
  /** The event type (`segment.entered`), declared by the plugin. */
  event: string;
  /** The record type the event is about (`Contact`). */
  recordType: string;
  /** The record's raw id in the payload (null: the event is about no record). */
  idOf(payload: Record<string, unknown>): string | null;
}

export class AutomationCatalog {
  readonly recordTypes: ContributionRegistry<AutomationRecordType>;
  /** By event type. */
  readonly eventRecords: ContributionRegistry<AutomationEventRecord>;
  readonly actions: ContributionRegistry<AutomationAction>;
  /** By `<plugin>/<name>`. */
  readonly defaultRules: ContributionRegistry<DefaultRule>;

  constructor(base?: AutomationCatalog) {
    this.recordTypes = new ContributionRegistry('automation record type', base?.recordTypes);
    this.eventRecords = new ContributionRegistry('automation event record', base?.eventRecords);
    this.actions = new ContributionRegistry('automation action', base?.actions);
    this.defaultRules = new ContributionRegistry('default automation rule', base?.defaultRules);
  }

  /** The event types default rules are triggered by (an event of one of them makes sure the defaults exist first). */
  defaultTriggerEvents(): Set<string> {
    const events = new Set<string>();
    for (const [, rule] of this.defaultRules.entries()) {
      const trigger = (rule.definition as { trigger?: { type?: string; event?: string } }).trigger;
      if (trigger?.type === 'event' && trigger.event) events.add(trigger.event);
    }
    return events;
  }

  recordTypeForEvent(eventType: string): AutomationRecordType | null {
    const declared = this.eventRecords.get(eventType);
    if (declared) return this.recordTypes.get(declared.recordType) ?? null;
    const prefix = eventType.split('.')[0];
    return this.recordTypes.entries().find(([, r]) => r.eventPrefix === prefix)?.[1] ?? null;
  }
}

/** The kernel's record types and actions (registered by src/core/automation/kernel-catalog.ts). */
export const kernelAutomation = new AutomationCatalog();

export const AUTOMATION_CATALOG_SLOT = new AppSlot<AutomationCatalog>('automation catalog');

/** The catalog of the app owning `em` (its plugins' contributions over the kernel's). */
export function automationCatalogOf(em: AppScoped): AutomationCatalog {
  return lookupInApp(em, AUTOMATION_CATALOG_SLOT) ?? kernelAutomation;
}

/** What a plugin's manifest contributes (`automation`). */
export interface AutomationContribution {
  recordTypes?: AutomationRecordType[];
  /** The plugin's events that are about a record of a type named otherwise (`segment.entered` → Contact). */
  eventRecords?: AutomationEventRecord[];
  actions?: AutomationAction[];
  defaultRules?: DefaultRule[];
}

/** Declares a plugin's action with its parameters' type inferred. */
export function defineAutomationAction<Params>(action: AutomationAction<Params>): AutomationAction<Params> {
  return action;
}
