import { workspaceOf, type RequestContext } from '../../graphql/context.js';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import { parseGlobalId } from '../../graphql/global-id.js';
import { eventsOf } from '../../events/registry.js';
import { parseInput } from '../shared/validation.js';
import { hasControlCharacter } from '../shared/text.js';
import { definitionsFor } from '../custom-fields/custom-field.service.js';
import type { Operator } from '../automation/definition.js';
import { operandProblem } from '../automation/conditions.js';
import { contactFactsOf, type ContactFact } from './facts.js';
import { resolveContactField, type ContactField, type CustomFieldsByType } from './fields.js';
import { LIMITS, contactRuleSchema, isFactRule, isFieldRule, sizeOf, type ContactRule, type ContactRuleScalar } from './rules.js';

/** What a segment's rules depend on: for re-evaluating only the segments a change can affect (`rulesAffectedBy`). */
export interface ContactRuleDependencies {
  /** Field paths the rules read (`lifecycleStage`, `custom.tier`, `company.industry`). */
  fields: string[];
  /** Fact keys the rules name. */
  facts: string[];
  /** Whether time alone changes the result ("in the last N days"): re-evaluate on a schedule too. */
  timeBased: boolean;
}

export type CompiledNode =
  | { all: CompiledNode[] }
  | { any: CompiledNode[] }
  | { not: CompiledNode }
  | { field: string; op: Operator; value: ContactRuleScalar | ContactRuleScalar[] | undefined; resolved: ContactField }
  | { fact: string; owner: string; params: unknown; definition: ContactFact };

/**
 * Rules checked for their author and ready for the queries. An in-memory value: store the `rules` (plain JSON) and
 * validate them again where they are evaluated (a custom field archived since then is reported then).
 */
export interface CompiledContactRules {
  readonly rules: ContactRule;
  readonly dependencies: ContactRuleDependencies;
  /** The resolved tree the SQL is built from (kernel-internal). */
  readonly tree: CompiledNode;
}

const TIME_OPS: readonly Operator[] = ['withinLastDays', 'moreThanDaysAgo', 'withinNextDays'];

function hostileStrings(value: unknown, path: string[], out: UserError[]): void {
  if (typeof value === 'string') {
    if (hasControlCharacter(value)) out.push(userError(path, 'must not contain control characters'));
    else if (value.length > LIMITS.stringLength) out.push(userError(path, `must be at most ${LIMITS.stringLength} characters`));
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) hostileStrings(v, [...path, String(i)], out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (hasControlCharacter(k)) out.push(userError(path, 'keys must not contain control characters'));
      else hostileStrings(v, [...path, k], out);
    }
  }
}

const usesCustom = (rule: ContactRule, prefix: string): boolean =>
  isFieldRule(rule)
    ? rule.field.startsWith(prefix)
    : isFactRule(rule)
      ? false
      : 'all' in rule
        ? rule.all.some((r) => usesCustom(r, prefix))
        : 'any' in rule
          ? rule.any.some((r) => usesCustom(r, prefix))
          : usesCustom(rule.not, prefix);

/**
 * Checks a segment's rules as `ctx` (their author) may use them and compiles them: the shape and limits, every field
 * (known, visible to the author, the operator and value fitting its kind, enum values and global ids checked) and
 * every fact (known, its module enabled in the workspace, its params valid). Every problem is reported at once under
 * `<path>.…` (`rules.all.1.field`); nothing is compiled when there is one.
 */
export async function validateContactRules(ctx: RequestContext, input: unknown, path = 'rules'): Promise<CompiledContactRules> {
  const root = path.split('.');
  const hostile: UserError[] = [];
  hostileStrings(input, root, hostile);
  // before the shape is parsed: a hostile or huge string is reported where it is, not as a mismatch of the whole tree
  if (hostile.length) throw new InputRejected(hostile);
  const size = sizeOf(input);
  if (size.depth > LIMITS.depth) throw InputRejected.one(root, `rules may nest at most ${LIMITS.depth} levels deep`);
  if (size.nodes > LIMITS.nodes) throw InputRejected.one(root, `at most ${LIMITS.nodes} rules in all`);
  const rules = parseInput(contactRuleSchema, input, root);

  const custom: CustomFieldsByType = {
    Contact: usesCustom(rules, 'custom.') ? await definitionsFor(ctx, 'Contact') : new Map(),
    Company: usesCustom(rules, 'company.custom.') ? await definitionsFor(ctx, 'Company') : new Map(),
  };
  const facts = contactFactsOf(ctx.em);
  const events = eventsOf(ctx.em);
  const errors: UserError[] = [];
  const problem = (at: string[], message: string, code = ErrorCode.BAD_USER_INPUT) => errors.push(userError(at, message, code));
  const dependencies = { fields: new Set<string>(), facts: new Set<string>(), timeBased: false };

  const idOf = (value: unknown, type: string, at: string[]): string | null => {
    const parsed = typeof value === 'string' ? parseGlobalId(value) : null;
    if (parsed?.type === type) return parsed.id;
    problem(at, `a global id of a ${type}`);
    return null;
  };

  const compile = async (rule: ContactRule, at: string[]): Promise<CompiledNode> => {
    // one after the other, so problems are listed in the order of the rules
    const each = async (list: ContactRule[], key: string) => {
      const out: CompiledNode[] = [];
      for (const [i, r] of list.entries()) out.push(await compile(r, [...at, key, String(i)]));
      return out;
    };
    if ('all' in rule) return { all: await each(rule.all, 'all') };
    if ('any' in rule) return { any: await each(rule.any, 'any') };
    if ('not' in rule) return { not: await compile(rule.not, [...at, 'not']) };
    if (isFactRule(rule)) {
      const definition = facts.get(rule.fact);
      const owner = facts.ownerOf(rule.fact);
      const node = { fact: rule.fact, owner: owner ?? '', params: undefined as unknown, definition: definition! };
      if (!definition || !owner) {
        problem([...at, 'fact'], `unknown fact ${rule.fact}`);
        return node;
      }
      if (!(await events.isPluginEnabled(workspaceOf(ctx), owner))) {
        problem([...at, 'fact'], `the module ${owner} of the fact ${rule.fact} is disabled in this workspace`, ErrorCode.MODULE_DISABLED);
        return node;
      }
      const parsed = definition.params.safeParse(rule.params ?? {});
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problem([...at, 'params', ...issue.path.map(String)], issue.message);
        return node;
      }
      dependencies.facts.add(rule.fact);
      if (definition.timeBased) dependencies.timeBased = true;
      return { ...node, params: parsed.data };
    }
    const resolved = resolveContactField(rule.field, custom);
    const node = { field: rule.field, op: rule.op, value: rule.value, resolved: resolved! };
    if (!resolved) {
      problem([...at, 'field'], `contacts have no field ${rule.field}`);
      return node;
    }
    if (resolved.protectedAs && !ctx.principal.access.canSeeField(resolved.protectedAs.type, resolved.protectedAs.field)) {
      problem([...at, 'field'], `the field ${rule.field} is hidden from you`, ErrorCode.FORBIDDEN);
      return node;
    }
    const wrong = operandProblem({ field: rule.field, op: rule.op, value: rule.value }, { kind: resolved.kind, values: resolved.values });
    if (wrong) {
      problem([...at, wrong.at], wrong.message);
      return node;
    }
    let value = rule.value;
    if (resolved.idType && value != null) {
      const ids = (Array.isArray(value) ? value : [value]).map((v, i) =>
        idOf(v, resolved.idType!, Array.isArray(value) ? [...at, 'value', String(i)] : [...at, 'value']),
      );
      value = Array.isArray(value) ? ids : ids[0]!;
    } else if (resolved.kind === 'idList' && resolved.values && typeof value === 'string' && !resolved.values.includes(value)) {
      problem([...at, 'value'], `one of ${resolved.values.join(', ')}`);
    }
    dependencies.fields.add(rule.field);
    if (TIME_OPS.includes(rule.op)) dependencies.timeBased = true;
    return { ...node, value };
  };

  const tree = await compile(rules, root);
  if (errors.length) throw new InputRejected(errors);
  return {
    rules,
    dependencies: { fields: [...dependencies.fields], facts: [...dependencies.facts], timeBased: dependencies.timeBased },
    tree,
  };
}
