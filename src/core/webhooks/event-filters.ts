import { InputRejected, userError, type UserError } from '../../graphql/errors.js';
import { hasControlCharacter } from '../shared/text.js';

/**
 * Which events an endpoint receives: event type patterns, and optional conditions on the payload.
 *
 * Patterns are dot-separated segments, each a name (`contact`, `lifecycleChanged`) or `*`: `*` matches one segment,
 * a trailing `*` the rest (one segment or more), and `*` alone every event. `contact.*` matches `contact.created` and
 * `contact.lifecycleChanged`; `*.created` matches `contact.created` and `company.created`; `deal.won` only itself.
 */

export const MAX_PATTERNS = 50;
export const MAX_CONDITIONS = 20;

const SEGMENT = /^([a-z][a-zA-Z0-9]*|\*)$/;

/** A pattern's problem, or null when it is well-formed. */
export function patternProblem(pattern: unknown): string | null {
  if (typeof pattern !== 'string' || pattern.length === 0) return 'must be an event type or pattern such as contact.* or *';
  if (pattern.length > 120) return 'must be at most 120 characters';
  const segments = pattern.split('.');
  if (segments.length > 6 || !segments.every((s) => SEGMENT.test(s)))
    return 'must be dot-separated names or * (e.g. contact.created, contact.*, *.created, *)';
  return null;
}

const compiled = new Map<string, RegExp>();

function regexOf(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    const segments = pattern.split('.');
    const body = segments.map((s, i) => (s !== '*' ? s : i === segments.length - 1 ? '[^.]+(\\.[^.]+)*' : '[^.]+')).join('\\.');
    regex = new RegExp(`^${body}$`);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex;
}

export function matchesPattern(pattern: string, eventType: string): boolean {
  return pattern === '*' || pattern === eventType || regexOf(pattern).test(eventType);
}

export function matchesAny(patterns: readonly string[], eventType: string): boolean {
  return patterns.some((p) => matchesPattern(p, eventType));
}

/** Checks and de-duplicates the patterns (at least one); rejects naming `field.i`. */
export function parsePatterns(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw InputRejected.one(field, 'must list at least one event type or pattern (`*` for every event)');
  if (value.length > MAX_PATTERNS) throw InputRejected.one(field, `at most ${MAX_PATTERNS} patterns`);
  const errors: UserError[] = [];
  value.forEach((pattern, i) => {
    const problem = patternProblem(typeof pattern === 'string' ? pattern.trim() : pattern);
    if (problem) errors.push(userError([field, String(i)], problem));
  });
  if (errors.length) throw new InputRejected(errors);
  return [...new Set((value as string[]).map((p) => p.trim()))];
}

/** Equality on one value of the payload; `field` is a dot path into the event's `data` (`contact.lifecycleStage`). */
export interface WebhookCondition {
  field: string;
  equals: string | number | boolean | null;
}

const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+){0,7}$/;

/** Checks the conditions (at most 20; a scalar `equals`); rejects naming `field.i.…`. */
export function parseConditions(value: unknown, field: string): WebhookCondition[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw InputRejected.one(field, 'must be a list of { field, equals }');
  if (value.length > MAX_CONDITIONS) throw InputRejected.one(field, `at most ${MAX_CONDITIONS} conditions`);
  const errors: UserError[] = [];
  const result: WebhookCondition[] = [];
  value.forEach((condition, i) => {
    const at = (...rest: string[]) => [field, String(i), ...rest];
    if (!condition || typeof condition !== 'object') {
      errors.push(userError(at(), 'must be { field, equals }'));
      return;
    }
    const { field: path, equals } = condition as { field?: unknown; equals?: unknown };
    if (typeof path !== 'string' || path.length > 200 || !PATH.test(path)) {
      errors.push(userError(at('field'), 'must be a dot path into the payload such as contact.lifecycleStage'));
      return;
    }
    const scalar = equals === null || equals === undefined || ['string', 'number', 'boolean'].includes(typeof equals);
    if (!scalar || (typeof equals === 'number' && !Number.isFinite(equals))) {
      errors.push(userError(at('equals'), 'must be a string, number, boolean or null'));
      return;
    }
    if (typeof equals === 'string' && (equals.length > 500 || hasControlCharacter(equals))) {
      errors.push(userError(at('equals'), 'must be at most 500 characters without control characters'));
      return;
    }
    result.push({ field: path, equals: (equals ?? null) as WebhookCondition['equals'] });
  });
  if (errors.length) throw new InputRejected(errors);
  return result;
}

function valueAt(data: unknown, path: string): unknown {
  let value: unknown = data;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Whether every condition holds on `data`: the value at the path equals (or, for a list, contains) `equals`. */
export function conditionsHold(conditions: readonly WebhookCondition[], data: unknown): boolean {
  return conditions.every((c) => {
    const value = valueAt(data, c.field);
    if (Array.isArray(value)) return value.some((v) => v === c.equals);
    if (value === undefined) return c.equals === null;
    return value === c.equals;
  });
}
