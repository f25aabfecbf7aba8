import { z } from 'zod';
import { withEntityManager, workspaceOf, type RequestContext } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId, parseGlobalId } from '../../graphql/global-id.js';
import { attachCausation } from '../../events/causation.js';
import { attachAuditActor, auditActorOf } from '../../db/audit-context.js';
import { expectVersion } from '../shared/mutation.js';
import { parseInput } from '../shared/validation.js';
import { hasControlCharacter } from '../shared/text.js';
import { AutomationRule, AutomationRuleVersion } from './automation.entities.js';
import { automationCatalogOf } from './catalog.js';
import type { RuleDefinition } from './definition.js';
import { enabledOwners, loadFacts, runSegment, type SegmentResult } from './engine.js';
import { holds } from './conditions.js';
import { validateDefinition } from './validate.js';

/** A workspace holds at most this many rules. */
export const MAX_RULES = 2000;

const label = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(max, { message: `must be at most ${max} characters` })
    .refine((v) => !hasControlCharacter(v), { message: 'must not contain control characters' });

const createInput = z.object({
  name: label(200),
  description: label(1000).nullish(),
  enabled: z.boolean().nullish(),
  definition: z.unknown(),
});
const updateInput = z.object({
  id: z.string(),
  version: z.number().int(),
  name: label(200).optional(),
  description: label(1000).nullish(),
  enabled: z.boolean().optional(),
  definition: z.unknown().optional(),
});

export async function findRule(ctx: RequestContext, globalId: string, field = 'id'): Promise<AutomationRule> {
  const id = expectGlobalId(globalId, 'AutomationRule', field);
  const rule = await ctx.em.findOne(AutomationRule, { workspaceId: workspaceOf(ctx), id });
  if (!rule) throw InputRejected.one(field, 'automation rule not found', ErrorCode.NOT_FOUND);
  return rule;
}

export async function currentDefinition(ctx: RequestContext, rule: AutomationRule): Promise<RuleDefinition> {
  const version = await ctx.em.findOneOrFail(AutomationRuleVersion, { rule: rule.id, version: rule.currentVersion });
  return version.definition;
}

/**
 * Saves a new rule and its first version. The definition is checked against the catalog with the caller's
 * permissions (validate.ts); the caller becomes the rule's owner, whose permissions its actions write with.
 */
export async function createRule(ctx: RequestContext, input: unknown): Promise<AutomationRule> {
  const data = parseInput(createInput, input);
  const workspaceId = workspaceOf(ctx);
  const validated = await validateDefinition(ctx, automationCatalogOf(ctx.em), data.definition);
  if ((await ctx.em.count(AutomationRule, { workspaceId })) >= MAX_RULES)
    throw InputRejected.one('input', `a workspace has at most ${MAX_RULES} automation rules`);
  const rule = ctx.em.create(AutomationRule, {
    workspaceId,
    name: data.name,
    description: data.description ?? null,
    enabled: data.enabled ?? true,
    triggerKeys: validated.triggerKeys,
    currentVersion: 1,
    ownerId: ctx.principal.userId,
    createdBy: ctx.principal.userId,
  } as AutomationRule);
  ctx.em.create(AutomationRuleVersion, {
    workspaceId,
    rule,
    version: 1,
    definition: validated.definition,
    createdBy: ctx.principal.userId,
  });
  await ctx.em.flush();
  return rule;
}

/**
 * Changes a rule: name, description and `enabled` in place; a new definition as a new version (runs in flight finish on
 * theirs), with the caller as the rule's owner from then on.
 */
export async function updateRule(ctx: RequestContext, input: unknown): Promise<AutomationRule> {
  const data = parseInput(updateInput, input);
  const rule = await findRule(ctx, data.id);
  expectVersion(rule.version, data.version);
  if (data.name !== undefined) rule.name = data.name;
  if (data.description !== undefined) rule.description = data.description ?? null;
  if (data.enabled !== undefined) rule.enabled = data.enabled;
  if (data.definition !== undefined) {
    const validated = await validateDefinition(ctx, automationCatalogOf(ctx.em), data.definition);
    rule.currentVersion += 1;
    rule.triggerKeys = validated.triggerKeys;
    rule.ownerId = ctx.principal.userId;
    ctx.em.create(AutomationRuleVersion, {
      workspaceId: rule.workspaceId,
      rule,
      version: rule.currentVersion,
      definition: validated.definition,
      createdBy: ctx.principal.userId,
    });
  }
  rule.updatedAt = new Date();
  await ctx.em.flush();
  return rule;
}

class DryRunRollback extends Error {
  constructor(readonly result: SegmentResult & { conditionsMet: boolean }) {
    super('dry run');
  }
}

/**
 * Runs a rule (saved, or a definition not saved yet) on a chosen record without writing: the conditions are checked
 * and the actions run as the caller, up to the first wait, in a transaction that is always rolled back — every write,
 * event, email and webhook call an action makes goes with it. Returns what each step did or would have done.
 */
export async function testRule(
  ctx: RequestContext,
  input: { ruleId?: string | null; definition?: unknown; recordId?: string | null },
  now: Date,
): Promise<SegmentResult & { conditionsMet: boolean }> {
  const catalog = automationCatalogOf(ctx.em);
  if ((input.ruleId == null) === (input.definition == null))
    throw InputRejected.one('ruleId', 'give either a saved rule (ruleId) or a definition');
  const rule = input.ruleId ? await findRule(ctx, input.ruleId, 'ruleId') : null;
  const validated = await validateDefinition(ctx, catalog, rule ? await currentDefinition(ctx, rule) : input.definition);
  let record: { type: NonNullable<typeof validated.recordType>; id: string } | null = null;
  if (validated.recordType) {
    if (!input.recordId) throw InputRejected.one('recordId', `this rule is about ${validated.recordType.name} records: choose one`);
    const parsed = parseGlobalId(input.recordId);
    if (parsed?.type !== validated.recordType.name) throw InputRejected.one('recordId', `must be the id of a ${validated.recordType.name}`);
    record = { type: validated.recordType, id: parsed.id };
  }
  const enabledModules = await enabledOwners(ctx.em, workspaceOf(ctx));
  try {
    await ctx.em.transactional(async (tx) => {
      const em = tx as typeof ctx.em;
      const actor = auditActorOf(ctx.em);
      if (actor) attachAuditActor(em, actor);
      attachCausation(em, []);
      const txCtx = withEntityManager(ctx, em);
      const facts = record ? (await loadFacts(txCtx, catalog, record.type, [record.id])).get(record.id) : {};
      if (!facts) throw InputRejected.one('recordId', `${record!.type.name} not found`, ErrorCode.NOT_FOUND);
      const conditionsMet = holds(validated.definition.conditions, facts, now);
      const result = conditionsMet
        ? await runSegment({
            ctx: txCtx,
            catalog,
            workspaceId: workspaceOf(ctx),
            rule: { id: rule?.id ?? '00000000-0000-0000-0000-000000000000', name: rule?.name ?? 'test' },
            runId: '00000000-0000-0000-0000-000000000000',
            definition: validated.definition,
            record,
            event: null,
            pc: 0,
            now,
            dryRun: true,
            enabledModules,
            facts: record ? facts : undefined,
          })
        : { status: 'succeeded' as const, pc: 0, resumeAt: null, error: null, steps: [] };
      throw new DryRunRollback({ ...result, conditionsMet });
    });
  } catch (error) {
    if (error instanceof DryRunRollback) {
      ctx.em.clear();
      return error.result;
    }
    throw error;
  }
  throw new Error('unreachable: a dry run always rolls back');
}
