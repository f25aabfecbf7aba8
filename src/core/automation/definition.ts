import { z } from 'zod';

/**
 * The shape of a rule's definition (stored as JSON in `automation_rule_version.definition`). Shape only: whether a
 * field exists, fits its operator and may be seen by the rule's author is checked against the catalog
 * (validate.ts) when the rule is saved.
 */

const MAX_NODES = 200;
const name = z.string().min(1).max(200);
/** A dot path: `lifecycleStage`, `custom.tier`, `company.industry`, `event.body.order.status`. */
const fieldPath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, 'a field path: names separated by dots');
const scalar = z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]);
const value = z.union([scalar, z.array(scalar).max(100)]);

export const OPERATORS = [
  'eq',
  'neq',
  'in',
  'notIn',
  'contains',
  'notContains',
  'startsWith',
  'endsWith',
  'gt',
  'gte',
  'lt',
  'lte',
  'before',
  'after',
  'withinLastDays',
  'moreThanDaysAgo',
  'withinNextDays',
  'includes',
  'excludes',
  'isEmpty',
  'isNotEmpty',
] as const;
export type Operator = (typeof OPERATORS)[number];

export interface FieldCondition {
  field: string;
  op: Operator;
  value?: z.infer<typeof value>;
}
export type Condition = FieldCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(conditionSchema).min(1).max(50) }),
    z.strictObject({ any: z.array(conditionSchema).min(1).max(50) }),
    z.strictObject({ not: conditionSchema }),
    z.strictObject({ field: fieldPath, op: z.enum(OPERATORS), value: value.optional() }),
  ]),
);

const days = z.number().int().min(-3650).max(3650);

export const triggerSchema = z.discriminatedUnion('type', [
  /** A domain event; optionally only when `field` changed (from `from`, to `to`). */
  z.strictObject({
    type: z.literal('event'),
    event: z
      .string()
      .max(120)
      .regex(/^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/, 'an event type: thing.happened'),
    field: fieldPath.optional(),
    from: scalar.optional(),
    to: scalar.optional(),
  }),
  /** A record created with, or changed to, `value` in `field` (a lifecycle stage, a deal stage, a ticket status). */
  z.strictObject({ type: z.literal('recordEntersState'), recordType: name, field: fieldPath, value: scalar }),
  /** `offsetDays` after (negative: before) the date in `field` of each record, checked by a job every 15 minutes. */
  z.strictObject({ type: z.literal('dateRelative'), recordType: name, field: fieldPath, offsetDays: days }),
  /** A cron schedule in a time zone (default UTC); the run has no record. */
  z.strictObject({ type: z.literal('schedule'), cron: z.string().min(9).max(120), timeZone: z.string().max(64).optional() }),
  /**
   * A post of an inbound integration (by its name); with `contactEmailPath` (a dot path into the posted body) the run is
   * about the contact with that email address, and skipped when there is none.
   */
  z.strictObject({ type: z.literal('integration'), integration: name, contactEmailPath: fieldPath.optional() }),
]);
export type Trigger = z.infer<typeof triggerSchema>;

export interface ActionStep {
  type: string;
  [param: string]: unknown;
}
export interface BranchStep {
  type: 'branch';
  if: Condition;
  actions: Step[];
  otherwise?: Step[];
}
export interface WaitStep {
  type: 'wait';
  /** A duration … */
  days?: number;
  hours?: number;
  minutes?: number;
  /** … or until the date in a field of the record, shifted by `offsetDays`. */
  untilField?: string;
  offsetDays?: number;
}
export type Step = ActionStep | BranchStep | WaitStep;

export const waitSchema = z
  .strictObject({
    type: z.literal('wait'),
    days: z.number().int().min(0).max(365).optional(),
    hours: z
      .number()
      .int()
      .min(0)
      .max(24 * 365)
      .optional(),
    minutes: z
      .number()
      .int()
      .min(0)
      .max(60 * 24 * 365)
      .optional(),
    untilField: fieldPath.optional(),
    offsetDays: days.optional(),
  })
  .refine((w) => (w.untilField === undefined) !== (w.days === undefined && w.hours === undefined && w.minutes === undefined), {
    message: 'a wait takes a duration (days, hours, minutes) or `untilField`, not both',
  });

const branchSchema: z.ZodType = z.lazy(() =>
  z.strictObject({
    type: z.literal('branch'),
    if: conditionSchema,
    actions: z.array(stepSchema).max(50),
    otherwise: z.array(stepSchema).max(50).optional(),
  }),
);

/** A step: `branch` and `wait` are checked here in full; an action's parameters against its catalog entry (validate.ts). */
export const stepSchema: z.ZodType<Step> = z
  .looseObject({
    type: z
      .string()
      .min(1)
      .max(80)
      .regex(/^[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*)?$/, 'an action type: `createTask`, or `<plugin>.<action>`'),
  })
  .superRefine((step, ctx) => {
    const schema = step.type === 'branch' ? branchSchema : step.type === 'wait' ? waitSchema : null;
    const result = schema?.safeParse(step);
    for (const issue of result?.success === false ? result.error.issues : [])
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: step });
  }) as z.ZodType<Step>;

export const definitionSchema = z
  .strictObject({
    trigger: triggerSchema,
    conditions: conditionSchema.nullish(),
    actions: z.array(stepSchema).min(1).max(50),
  })
  .refine((d) => countNodes(d.actions) + countConditions(d.conditions ?? null) <= MAX_NODES, {
    message: `a rule has at most ${MAX_NODES} steps and conditions in all`,
  });
export type RuleDefinition = z.infer<typeof definitionSchema>;

export const isBranch = (step: Step): step is BranchStep => step.type === 'branch';
export const isWait = (step: Step): step is WaitStep => step.type === 'wait';
export const isFieldCondition = (c: Condition): c is FieldCondition => 'field' in c;

function countConditions(condition: Condition | null): number {
  if (!condition) return 0;
  if ('all' in condition) return 1 + condition.all.reduce((n, c) => n + countConditions(c), 0);
  if ('any' in condition) return 1 + condition.any.reduce((n, c) => n + countConditions(c), 0);
  if ('not' in condition) return 1 + countConditions(condition.not);
  return 1;
}

function countNodes(steps: Step[]): number {
  return steps.reduce(
    (n, s) => n + 1 + (isBranch(s) ? countNodes(s.actions) + countNodes(s.otherwise ?? []) + countConditions(s.if) : 0),
    0,
  );
}

/**
 * The actions compiled to a flat program, so a run's position is one number (`pc`) that survives a wait:
 * a branch is a conditional jump over its `actions` to its `otherwise` steps.
 */
export type Instruction =
  | { op: 'step'; step: ActionStep | WaitStep; path: string }
  | { op: 'branch'; condition: Condition; elseAt: number; path: string }
  | { op: 'jump'; to: number };

export function compile(steps: Step[], path = 'actions'): Instruction[] {
  const program: Instruction[] = [];
  const emit = (list: Step[], at: string) => {
    list.forEach((step, i) => {
      const here = `${at}[${i}]`;
      if (!isBranch(step)) {
        program.push({ op: 'step', step, path: here });
        return;
      }
      const branch = { op: 'branch' as const, condition: step.if, elseAt: -1, path: here };
      program.push(branch);
      emit(step.actions, `${here}.actions`);
      const jump = { op: 'jump' as const, to: -1 };
      program.push(jump);
      branch.elseAt = program.length;
      emit(step.otherwise ?? [], `${here}.otherwise`);
      jump.to = program.length;
    });
  };
  emit(steps, path);
  return program;
}
