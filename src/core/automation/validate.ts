import { CronExpressionParser } from 'cron-parser';
import { workspaceOf, type RequestContext } from '../../graphql/context.js';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import { eventsOf } from '../../events/registry.js';
import { parseInput } from '../shared/validation.js';
import { hasControlCharacter } from '../shared/text.js';
import { CustomFieldDefinition } from '../custom-fields/custom-field-definition.entity.js';
import type { AutomationCatalog, AutomationRecordType } from './catalog.js';
import { fieldConditions, operandProblem, resolveField, type FieldScope } from './conditions.js';
import { definitionSchema, isBranch, isWait, type Condition, type RuleDefinition, type Step } from './definition.js';

/** What a saved definition compiles to besides itself: the keys it is matched by and the record type it is about. */
export interface ValidatedDefinition {
  definition: RuleDefinition;
  /** Event types that can start it; `@date` and `@schedule` for the time triggers (started by jobs). */
  triggerKeys: string[];
  recordType: AutomationRecordType | null;
}

export const DATE_KEY = '@date';
export const SCHEDULE_KEY = '@schedule';

function hostileStrings(value: unknown, path: string[], out: UserError[]): void {
  // control characters other than tab, line feed and carriage return (NUL included) have no place in a rule
  if (typeof value === 'string') {
    if (hasControlCharacter(value, true)) out.push(userError(path, 'must not contain control characters'));
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) hostileStrings(v, [...path, String(i)], out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (hasControlCharacter(k)) out.push(userError(path, 'keys must not contain control characters'));
      else hostileStrings(v, [...path, k], out);
    }
  }
}

export function triggerRecordType(catalog: AutomationCatalog, trigger: RuleDefinition['trigger']): AutomationRecordType | null {
  switch (trigger.type) {
    case 'event':
      return catalog.recordTypeForEvent(trigger.event);
    case 'recordEntersState':
    case 'dateRelative':
      return catalog.recordTypes.get(trigger.recordType) ?? null;
    case 'integration':
      return trigger.contactEmailPath ? (catalog.recordTypes.get('Contact') ?? null) : null;
    case 'schedule':
      return null;
  }
}

/** The event types a "record enters state" trigger listens to. */
export function stateEvents(recordType: AutomationRecordType, field: string): string[] {
  return recordType.states?.[field]?.map((s) => s.event) ?? [`${recordType.eventPrefix}.created`, `${recordType.eventPrefix}.updated`];
}

/**
 * Checks a definition against the catalog as `ctx` (its author) may use it: the shape, every field a condition, a
 * trigger or a wait names (known for the record type, visible to the author, the operator and value fitting its
 * kind), every action (known, for this record type, its parameters valid). All problems are reported together, under
 * `definition.…` paths; nothing is saved when there is one.
 */
export async function validateDefinition(ctx: RequestContext, catalog: AutomationCatalog, input: unknown): Promise<ValidatedDefinition> {
  const root = ['definition'];
  const hostile: UserError[] = [];
  hostileStrings(input, root, hostile);
  if (hostile.length) throw new InputRejected(hostile);
  const definition = parseInput(definitionSchema, input, root);
  const errors: UserError[] = [];
  const problem = (path: string[], message: string, code = ErrorCode.BAD_USER_INPUT) =>
    errors.push(userError([...root, ...path], message, code));

  const trigger = definition.trigger;
  const recordType = triggerRecordType(catalog, trigger);
  const customFields = new Map<string, Map<string, CustomFieldDefinition>>();
  const objectTypes = [recordType, ...Object.values(recordType?.related ?? {}).map((r) => catalog.recordTypes.get(r.recordType))].flatMap(
    (r) => (r?.customObjectType ? [r.customObjectType] : []),
  );
  if (objectTypes.length) {
    const defs = await ctx.em.find(CustomFieldDefinition, {
      workspaceId: workspaceOf(ctx),
      objectType: { $in: objectTypes },
      archivedAt: null,
    });
    for (const def of defs) customFields.set(def.objectType, (customFields.get(def.objectType) ?? new Map()).set(def.key, def));
  }
  const scope: FieldScope = { recordType, catalog, customFields, hasEvent: trigger.type === 'event' || trigger.type === 'integration' };

  /** The field at `path` (problems reported), if it is known and visible. */
  const fieldAt = (name: string, at: string[]) => {
    const resolved = resolveField(name, scope);
    if (!resolved) {
      problem(at, recordType ? `${recordType.name} has no field ${name}` : `unknown field ${name} (this trigger has no record)`);
      return null;
    }
    const { field, owner } = resolved;
    if (owner && field.protectedAs && !ctx.principal.access.canSeeField(owner.name, field.protectedAs)) {
      problem(at, `the field ${name} is hidden from you`, ErrorCode.FORBIDDEN);
      return null;
    }
    return field;
  };
  const checkConditions = (condition: Condition | null | undefined, at: string[]) => {
    for (const [c, path] of fieldConditions(condition, at)) {
      const field = fieldAt(c.field, [...path, 'field']);
      if (!field) continue;
      const wrong = operandProblem(c, field);
      if (wrong) problem([...path, wrong.at], wrong.message);
    }
  };

  let triggerKeys: string[] = [];
  switch (trigger.type) {
    case 'event': {
      if (!eventsOf(ctx.em).declaredBy(trigger.event)) problem(['trigger', 'event'], `no installed module emits ${trigger.event}`);
      triggerKeys = [trigger.event];
      if (trigger.field !== undefined) fieldAt(trigger.field, ['trigger', 'field']);
      else if (trigger.from !== undefined || trigger.to !== undefined)
        problem(['trigger', 'field'], 'from and to need the field that changes');
      break;
    }
    case 'recordEntersState': {
      if (!recordType) {
        problem(['trigger', 'recordType'], `automation knows no record type ${trigger.recordType}`);
        break;
      }
      const field = fieldAt(trigger.field, ['trigger', 'field']);
      if (field) {
        const wrong = operandProblem({ field: trigger.field, op: 'eq', value: trigger.value }, field);
        if (wrong) problem(['trigger', 'value'], wrong.message);
      }
      triggerKeys = stateEvents(recordType, trigger.field);
      break;
    }
    case 'dateRelative': {
      if (!recordType?.table) {
        problem(['trigger', 'recordType'], `automation knows no record type ${trigger.recordType} with date fields`);
        break;
      }
      const field = fieldAt(trigger.field, ['trigger', 'field']);
      if (field && field.kind !== 'date') problem(['trigger', 'field'], `${trigger.field} is not a date field`);
      triggerKeys = [DATE_KEY];
      break;
    }
    case 'schedule': {
      try {
        CronExpressionParser.parse(trigger.cron, { tz: trigger.timeZone ?? 'UTC' });
        if (trigger.cron.trim().split(/\s+/).length !== 5) throw new Error('five fields');
      } catch {
        problem(['trigger', 'cron'], 'a cron expression of five fields (minute hour day month weekday)');
      }
      if (trigger.timeZone !== undefined) {
        try {
          new Intl.DateTimeFormat('en', { timeZone: trigger.timeZone });
        } catch {
          problem(['trigger', 'timeZone'], `unknown time zone ${trigger.timeZone}`);
        }
      }
      triggerKeys = [SCHEDULE_KEY];
      break;
    }
    case 'integration':
      triggerKeys = ['integration.received'];
      break;
  }

  checkConditions(definition.conditions, ['conditions']);

  const checkSteps = async (steps: Step[], at: string[]) => {
    for (const [i, step] of steps.entries()) {
      const path = [...at, String(i)];
      if (isBranch(step)) {
        checkConditions(step.if, [...path, 'if']);
        await checkSteps(step.actions, [...path, 'actions']);
        await checkSteps(step.otherwise ?? [], [...path, 'otherwise']);
        continue;
      }
      if (isWait(step)) {
        if (step.untilField !== undefined) {
          const field = fieldAt(step.untilField, [...path, 'untilField']);
          if (field && field.kind !== 'date') problem([...path, 'untilField'], `${step.untilField} is not a date field`);
        }
        continue;
      }
      const action = catalog.actions.get(step.type);
      if (!action) {
        problem([...path, 'type'], `unknown action ${step.type}`);
        continue;
      }
      if (action.recordTypes && (!recordType || !action.recordTypes.includes(recordType.name))) {
        problem(
          [...path, 'type'],
          `${step.type} works on ${action.recordTypes.join(', ')} records, not on ${recordType?.name ?? 'runs without a record'}`,
        );
        continue;
      }
      const { type: _type, ...rawParams } = step;
      try {
        const params = parseInput(action.params, rawParams, [...root, ...path]);
        await action.validate?.({ params, recordType, ctx, path: [...root, ...path].join('.'), catalog });
      } catch (error) {
        if (error instanceof InputRejected) errors.push(...error.errors);
        else throw error;
      }
    }
  };
  await checkSteps(definition.actions, ['actions']);

  if (errors.length) throw new InputRejected(errors);
  return { definition, triggerKeys, recordType };
}
