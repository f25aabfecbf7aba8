import { z } from 'zod';
import { OPERATORS, type Operator } from '../automation/definition.js';

/**
 * The shape of a contact segment's rules (JSON, stored by whoever owns the segment). Shape only: whether a field or
 * fact exists, fits its operator and may be seen by the author is checked by `validateContactRules` (validate.ts).
 */

export const LIMITS = {
  /** Nesting of all / any / not. */
  depth: 8,
  /** Field and fact rules, and groups, in all. */
  nodes: 200,
  /** Rules in one all / any list. */
  listLength: 50,
  /** Characters of one string value. */
  stringLength: 2000,
  /** Values of one in / notIn list. */
  values: 100,
} as const;

export type ContactRuleScalar = string | number | boolean | null;

/** `{ field: 'company.industry', op: 'eq', value: 'Software' }` */
export interface FieldRule {
  field: string;
  op: Operator;
  value?: ContactRuleScalar | ContactRuleScalar[];
}

/** `{ fact: 'pipeline.openDealInStage', params: { stageId } }` */
export interface FactRule {
  fact: string;
  params?: Record<string, unknown>;
}

export type ContactRule = FieldRule | FactRule | { all: ContactRule[] } | { any: ContactRule[] } | { not: ContactRule };

const fieldPath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, 'a field path: names separated by dots');
const factKey = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[a-z][a-z0-9-]*(\.[a-zA-Z][a-zA-Z0-9]*)+$/, 'a fact key: <module>.<name>');
const scalar = z.union([z.string().max(LIMITS.stringLength), z.number(), z.boolean(), z.null()]);

export const contactRuleSchema: z.ZodType<ContactRule> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(contactRuleSchema).min(1).max(LIMITS.listLength) }),
    z.strictObject({ any: z.array(contactRuleSchema).min(1).max(LIMITS.listLength) }),
    z.strictObject({ not: contactRuleSchema }),
    z.strictObject({ field: fieldPath, op: z.enum(OPERATORS), value: z.union([scalar, z.array(scalar).max(LIMITS.values)]).optional() }),
    z.strictObject({ fact: factKey, params: z.record(z.string(), z.unknown()).optional() }),
  ]),
);

export const isFieldRule = (rule: ContactRule): rule is FieldRule => 'field' in rule;
export const isFactRule = (rule: ContactRule): rule is FactRule => 'fact' in rule;

/** Deepest nesting and number of nodes of a JSON tree of rules (before its shape is known). */
export function sizeOf(value: unknown, depth = 0): { depth: number; nodes: number } {
  if (!value || typeof value !== 'object') return { depth, nodes: 0 };
  const children = Array.isArray(value)
    ? value
    : 'all' in value || 'any' in value
      ? [(value as { all?: unknown; any?: unknown }).all ?? (value as { any?: unknown }).any].flat()
      : 'not' in value
        ? [(value as { not: unknown }).not]
        : [];
  let deepest = depth;
  let nodes = Array.isArray(value) ? 0 : 1;
  for (const child of children) {
    const inner = sizeOf(child, Array.isArray(value) ? depth : depth + 1);
    deepest = Math.max(deepest, inner.depth);
    nodes += inner.nodes;
    if (nodes > LIMITS.nodes) break;
  }
  return { depth: deepest, nodes };
}
