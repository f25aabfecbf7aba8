import { Sql, likeEscape, raw, sql } from '../../db/sql.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { eventsOf } from '../../events/registry.js';
import { daysBefore } from './facts.js';
import { companyJoin } from './fields.js';
import type { ContactRuleScalar } from './rules.js';
import type { CompiledContactRules, CompiledNode } from './validate.js';

type FieldNode = Extract<CompiledNode, { field: string }>;
type Value = ContactRuleScalar | ContactRuleScalar[] | undefined;

const list = (values: Sql[]) => Sql.join(values, ', ');
const ts = (value: string | Date) => sql`${value instanceof Date ? value.toISOString() : new Date(value).toISOString()}::timestamptz`;

/** A comparison of a scalar expression, as automation's conditions evaluate it (strings case-insensitive). */
function scalarSql(node: FieldNode, e: Sql, now: Date): Sql {
  const { op } = node;
  const value = node.value as Value;
  const kind = node.resolved.kind;
  const folded = kind === 'string';
  const lhs = folded ? sql`lower(${e})` : e;
  const param = (v: ContactRuleScalar) => (folded ? sql`lower(${String(v)})` : kind === 'number' ? sql`${v}::numeric` : sql`${v}`);
  const empty = kind === 'string' ? sql`coalesce(${e}, '') = ''` : sql`${e} is null`;
  const like = (pattern: Sql) => sql`coalesce(lower(${e}), '') like ${pattern}`;
  const text = () => likeEscape(String(value).toLowerCase());
  switch (op) {
    case 'isEmpty':
      return empty;
    case 'isNotEmpty':
      return sql`not (${empty})`;
    case 'eq':
      return sql`${lhs} = ${param(value as ContactRuleScalar)}`;
    case 'neq':
      return sql`${lhs} is distinct from ${param(value as ContactRuleScalar)}`;
    case 'in':
      return sql`${lhs} in (${list((value as ContactRuleScalar[]).map(param))})`;
    case 'notIn':
      return sql`(${lhs} is null or ${lhs} not in (${list((value as ContactRuleScalar[]).map(param))}))`;
    case 'contains':
      return like(sql`${`%${text()}%`}`);
    case 'notContains':
      return sql`not ${like(sql`${`%${text()}%`}`)}`;
    case 'startsWith':
      return like(sql`${`${text()}%`}`);
    case 'endsWith':
      return like(sql`${`%${text()}`}`);
    case 'gt':
      return sql`${e} > ${param(value as ContactRuleScalar)}`;
    case 'gte':
      return sql`${e} >= ${param(value as ContactRuleScalar)}`;
    case 'lt':
      return sql`${e} < ${param(value as ContactRuleScalar)}`;
    case 'lte':
      return sql`${e} <= ${param(value as ContactRuleScalar)}`;
    case 'before':
      return sql`${e} < ${ts(String(value))}`;
    case 'after':
      return sql`${e} > ${ts(String(value))}`;
    case 'withinLastDays':
      return sql`(${e} >= ${daysBefore(now, Number(value))} and ${e} <= ${ts(now)})`;
    case 'moreThanDaysAgo':
      return sql`${e} < ${daysBefore(now, Number(value))}`;
    case 'withinNextDays':
      return sql`(${e} >= ${ts(now)} and ${e} <= ${daysBefore(now, -Number(value))})`;
    default:
      throw new Error(`${op} does not apply to a ${kind} field`);
  }
}

/** A list field: tags by name, the owner's teams, multi-select values. */
function listSql(node: FieldNode, contact: string): Sql {
  const has = node.resolved.has!;
  switch (node.op) {
    case 'includes':
      return has(contact, String(node.value));
    case 'excludes':
      return sql`not ${has(contact, String(node.value))}`;
    case 'isEmpty':
      return sql`not ${has(contact, null)}`;
    case 'isNotEmpty':
      return has(contact, null);
    default:
      throw new Error(`${node.op} does not apply to a list field`);
  }
}

/** The module owners of the facts a tree names that are enabled in the caller's workspace. */
async function enabledFactOwners(ctx: RequestContext, tree: CompiledNode): Promise<Set<string>> {
  const owners = new Set<string>();
  const walk = (node: CompiledNode) => {
    if ('all' in node) node.all.forEach(walk);
    else if ('any' in node) node.any.forEach(walk);
    else if ('not' in node) walk(node.not);
    else if ('fact' in node) owners.add(node.owner);
  };
  walk(tree);
  const events = eventsOf(ctx.em);
  const enabled = new Set<string>();
  for (const owner of owners) if (await events.isPluginEnabled(workspaceOf(ctx), owner)) enabled.add(owner);
  return enabled;
}

export interface RulesSql {
  /** Joins the condition reads (the contact's company), to append after `contact <alias>`. */
  joins: string;
  /** An SQL boolean over the contact row and the joins. */
  condition: Sql;
}

function readsCompany(node: CompiledNode): boolean {
  if ('all' in node) return node.all.some(readsCompany);
  if ('any' in node) return node.any.some(readsCompany);
  if ('not' in node) return readsCompany(node.not);
  return 'field' in node && node.resolved.readsCompany === true;
}

/**
 * The compiled rules as SQL over the contact row `contact`. A fact of a module disabled in the workspace since the
 * rules were validated matches nothing.
 *
 * Rules are two-valued (`not` of a comparison with a missing value holds, as automation's conditions evaluate it).
 * Outside a `not`, a null leaf already counts as false in a WHERE, so leaves stay bare there: the planner turns a
 * fact's `exists` into a semi-join over its indexes only when nothing wraps it. Under a `not`, each leaf is made
 * two-valued with `coalesce(…, false)`.
 */
export async function rulesSql(ctx: RequestContext, compiled: CompiledContactRules, contact: string, now: Date): Promise<RulesSql> {
  const enabled = await enabledFactOwners(ctx, compiled.tree);
  const workspaceId = workspaceOf(ctx);
  const build = (node: CompiledNode, twoValued: boolean): Sql => {
    if ('all' in node) return Sql.and(node.all.map((n) => build(n, twoValued)));
    if ('any' in node) return Sql.or(node.any.map((n) => build(n, twoValued)));
    if ('not' in node) return sql`not ${build(node.not, true).wrap()}`;
    let leaf: Sql;
    if ('fact' in node) {
      if (!enabled.has(node.owner)) return raw('false');
      leaf = node.definition.condition(node.params, { ctx, contact, workspaceId, now });
    } else leaf = node.resolved.has ? listSql(node, contact) : scalarSql(node, node.resolved.expr!(contact), now);
    return twoValued ? sql`coalesce(${leaf.wrap()}, false)` : leaf;
  };
  return { joins: readsCompany(compiled.tree) ? companyJoin(contact) : '', condition: build(compiled.tree, false) };
}
