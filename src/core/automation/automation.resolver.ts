import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { expectGlobalId, toGlobalId } from '../../graphql/global-id.js';
import { keysetPage } from '../../graphql/keyset-page.js';
import { ConnectionArgs, pageRequest, toConnection } from '../../graphql/relay.js';
import { Sql, sql } from '../../db/sql.js';
import { eventsOf } from '../../events/registry.js';
import { DeletePayload } from '../shared/delete-payload.js';
import { runMutation } from '../shared/mutation.js';
import { definitionsFor } from '../custom-fields/custom-field.service.js';
import { AutomationRule, AutomationRuleVersion } from './automation.entities.js';
import { createRule, currentDefinition, findRule, testRule, updateRule } from './automation.service.js';
import { automationCatalogOf, type AutomationField } from './catalog.js';
import { customField, OPERATORS_BY_KIND } from './conditions.js';
import type { StepOutcome } from './engine.js';
import { ensureDefaultRules } from './defaults.js';
import {
  AutomationCatalogNode,
  AutomationRuleConnection,
  AutomationRuleNode,
  AutomationRulePayload,
  AutomationRuleVersionNode,
  AutomationRunConnection,
  AutomationRunNode,
  AutomationRunStatus,
  AutomationRunStepNode,
  CreateAutomationRuleInput,
  TestAutomationRuleInput,
  TestAutomationRulePayload,
  UpdateAutomationRuleInput,
} from './automation.types.js';
import { dateOrNull, dateValue, jsonValue } from '../../db/column-values.js';

async function toRuleNode(ctx: RequestContext, rule: AutomationRule): Promise<AutomationRuleNode> {
  return Object.assign(new AutomationRuleNode(), {
    rawId: rule.id,
    id: toGlobalId('AutomationRule', rule.id),
    name: rule.name,
    description: rule.description ?? null,
    enabled: rule.enabled,
    version: rule.version,
    definitionVersion: rule.currentVersion,
    definition: await currentDefinition(ctx, rule),
    ownerId: rule.ownerId ? toGlobalId('User', rule.ownerId) : null,
    source: rule.source ?? null,
    createdAt: rule.createdAt,
    updatedAt: rule.updatedAt,
  });
}

const RUN_COLUMNS =
  'run.id, run.rule_id, run.rule_version, run.status, run.trigger, run.record_type, run.record_id, run.causation, run.resume_at, run.error, run.created_at, run.started_at, run.finished_at';

function toRunNode(row: Record<string, unknown>): AutomationRunNode {
  const causation = jsonValue<{ ruleId: string; runId: string }[]>(row.causation) ?? [];
  return Object.assign(new AutomationRunNode(), {
    rawId: String(row.id),
    id: toGlobalId('AutomationRun', String(row.id)),
    ruleId: toGlobalId('AutomationRule', String(row.rule_id)),
    ruleVersion: Number(row.rule_version),
    status: row.status as AutomationRunStatus,
    trigger: jsonValue(row.trigger),
    recordId: row.record_type && row.record_id ? toGlobalId(String(row.record_type), String(row.record_id)) : null,
    causation: causation.map((l) => ({ ruleId: toGlobalId('AutomationRule', l.ruleId), runId: toGlobalId('AutomationRun', l.runId) })),
    resumeAt: dateOrNull(row.resume_at),
    error: (row.error as string | null) ?? null,
    createdAt: dateValue(row.created_at),
    startedAt: dateOrNull(row.started_at),
    finishedAt: dateOrNull(row.finished_at),
  });
}

const toStepNode = (s: StepOutcome & { stepNo?: number | null }): AutomationRunStepNode =>
  Object.assign(new AutomationRunStepNode(), {
    stepNo: s.stepNo ?? null,
    path: s.path,
    action: s.action,
    outcome: s.outcome,
    input: s.input ?? null,
    output: s.output ?? null,
    error: s.error,
    startedAt: s.startedAt,
    durationMs: s.durationMs,
  });

async function runPage(ctx: RequestContext, page: ConnectionArgs, where: Sql[]) {
  return toConnection(
    await keysetPage(
      ctx.em,
      {
        from: 'automation_run run',
        select: RUN_COLUMNS,
        where: Sql.and(where),
        orderBy: [{ expr: 'run.created_at', direction: 'DESC', nullable: false }],
        idExpr: 'run.id',
      },
      pageRequest(page),
      toRunNode,
    ),
  );
}

function runConditions(ctx: RequestContext, ruleId: string | null, status: AutomationRunStatus | null, recordId: string | null): Sql[] {
  const where = [sql`run.workspace_id = ${workspaceOf(ctx)}`];
  if (ruleId) where.push(sql`run.rule_id = ${ruleId}`);
  if (status) where.push(sql`run.status = ${status}`);
  if (recordId) where.push(sql`run.record_id = ${recordId}`);
  return where;
}

@Resolver(() => AutomationRuleNode)
export class AutomationRuleResolver {
  @Query(() => AutomationRuleConnection, {
    description: 'The workspace’s automation rules (the enabled modules’ default rules included), newest first. Needs `automation:manage`.',
  })
  async automationRules(
    @Args() page: ConnectionArgs,
    @Arg('enabled', () => Boolean, { nullable: true }) enabled: boolean | null,
    @Ctx() ctx: RequestContext,
  ) {
    // the modules' default rules are created the first time anyone looks (or an event they wait for happens)
    await ensureDefaultRules(ctx.em, workspaceOf(ctx));
    const where = [sql`r.workspace_id = ${workspaceOf(ctx)}`];
    if (enabled != null) where.push(sql`r.enabled = ${enabled}`);
    const result = await keysetPage(
      ctx.em,
      {
        from: 'automation_rule r',
        select: 'r.id',
        where: Sql.and(where),
        orderBy: [{ expr: 'r.created_at', direction: 'DESC', nullable: false }],
        idExpr: 'r.id',
      },
      pageRequest(page),
      (row) => String(row.id),
    );
    const rules = new Map((await ctx.em.find(AutomationRule, { id: { $in: result.nodes } })).map((r) => [r.id, r]));
    const nodes = await Promise.all(result.nodes.map((id) => toRuleNode(ctx, rules.get(id)!)));
    return toConnection({ ...result, nodes });
  }

  @Query(() => AutomationRuleNode, { nullable: true, description: 'One automation rule. Needs `automation:manage`.' })
  async automationRule(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    const rule = await ctx.em.findOne(AutomationRule, { workspaceId: workspaceOf(ctx), id: expectGlobalId(id, 'AutomationRule', 'id') });
    return rule ? toRuleNode(ctx, rule) : null;
  }

  @Query(() => AutomationRunConnection, {
    description: 'Runs of the workspace’s rules, newest first: of one rule, one status, one record. Needs `automation:manage`.',
  })
  automationRuns(
    @Args() page: ConnectionArgs,
    @Arg('ruleId', () => ID, { nullable: true }) ruleId: string | null,
    @Arg('status', () => AutomationRunStatus, { nullable: true }) status: AutomationRunStatus | null,
    @Arg('recordId', () => ID, { nullable: true }) recordId: string | null,
    @Ctx() ctx: RequestContext,
  ) {
    const rule = ruleId ? expectGlobalId(ruleId, 'AutomationRule', 'ruleId') : null;
    const record = recordId
      ? expectGlobalId(recordId, ['Contact', 'Company', ...automationCatalogOf(ctx.em).recordTypes.keys()], 'recordId')
      : null;
    return runPage(ctx, page, runConditions(ctx, rule, status, record));
  }

  @Query(() => AutomationCatalogNode, {
    description: 'What rule definitions may name, as the caller may use it. Needs `automation:manage`.',
  })
  async automationCatalog(@Ctx() ctx: RequestContext) {
    const catalog = automationCatalogOf(ctx.em);
    const access = ctx.principal.access;
    const fieldNode = (path: string, f: AutomationField) => ({
      path,
      kind: f.kind,
      values: f.values ? [...f.values] : null,
      operators: [...OPERATORS_BY_KIND[f.kind]],
      writable: Boolean(f.writeAs) || path.startsWith('custom.'),
      label: f.label ?? null,
    });
    const recordTypes = [];
    for (const [, type] of catalog.recordTypes.entries()) {
      const visible = (f: AutomationField) => !f.protectedAs || access.canSeeField(type.name, f.protectedAs);
      const fields = Object.entries(type.fields)
        .filter(([, f]) => visible(f))
        .map(([path, f]) => fieldNode(path, f));
      if (type.customObjectType)
        for (const def of (await definitionsFor(ctx, type.customObjectType)).values()) {
          const f = customField(def);
          if (visible(f)) fields.push(fieldNode(`custom.${def.key}`, f));
        }
      recordTypes.push({ name: type.name, fields });
    }
    return {
      triggers: ['event', 'recordEntersState', 'dateRelative', 'schedule', 'integration'],
      events: eventsOf(ctx.em).declaredTypes(),
      recordTypes,
      actions: [
        {
          type: 'wait',
          description: 'Waits a duration (days, hours, minutes) or until a date field (shifted by offsetDays), then goes on.',
          recordTypes: null,
          module: 'kernel',
        },
        {
          type: 'branch',
          description: 'Runs `actions` when the condition `if` holds, else the `otherwise` steps.',
          recordTypes: null,
          module: 'kernel',
        },
        ...catalog.actions.entries().map(([type, action, owner]) => ({
          type,
          description: action.description,
          recordTypes: action.recordTypes ? [...action.recordTypes] : null,
          module: owner,
        })),
      ],
    };
  }

  @FieldResolver(() => [AutomationRuleVersionNode], { description: 'Every version of the definition, newest first.' })
  async versions(@Root() rule: AutomationRuleNode, @Ctx() ctx: RequestContext) {
    const versions = await ctx.em.find(AutomationRuleVersion, { rule: rule.rawId }, { orderBy: { version: 'desc' } });
    return versions.map((v) =>
      Object.assign(new AutomationRuleVersionNode(), {
        version: v.version,
        definition: v.definition,
        createdById: v.createdBy ? toGlobalId('User', v.createdBy) : null,
        createdAt: v.createdAt,
      }),
    );
  }

  @FieldResolver(() => AutomationRunConnection, { description: 'The rule’s runs, newest first.' })
  runs(
    @Root() rule: AutomationRuleNode,
    @Args() page: ConnectionArgs,
    @Arg('status', () => AutomationRunStatus, { nullable: true }) status: AutomationRunStatus | null,
    @Ctx() ctx: RequestContext,
  ) {
    return runPage(ctx, page, runConditions(ctx, rule.rawId, status, null));
  }

  @Mutation(() => AutomationRulePayload, { description: 'Creates a rule; the caller becomes its owner. Needs `automation:manage`.' })
  createAutomationRule(@Arg('input', () => CreateAutomationRuleInput) input: CreateAutomationRuleInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ rule: await toRuleNode(tx, await createRule(tx, input)) }));
  }

  @Mutation(() => AutomationRulePayload, {
    description: 'Changes a rule; a new definition becomes a new version (runs in flight finish on theirs). Needs `automation:manage`.',
  })
  updateAutomationRule(@Arg('input', () => UpdateAutomationRuleInput) input: UpdateAutomationRuleInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ rule: await toRuleNode(tx, await updateRule(tx, input)) }));
  }

  @Mutation(() => DeletePayload, { description: 'Deletes a rule with its versions and runs. Needs `automation:manage`.' })
  deleteAutomationRule(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const rule = await findRule(tx, id);
      tx.em.remove(rule);
      await tx.em.flush();
      return { deletedId: id };
    });
  }

  @Mutation(() => TestAutomationRulePayload, {
    description:
      'Runs a rule (saved, or a definition) on a record without writing: everything it does is rolled back; stops at the first wait. Needs `automation:manage`.',
  })
  testAutomationRule(@Arg('input', () => TestAutomationRuleInput) input: TestAutomationRuleInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const result = await testRule(tx, input, new Date());
      return {
        result: {
          conditionsMet: result.conditionsMet,
          status: result.status as AutomationRunStatus,
          resumeAt: result.resumeAt,
          error: result.error,
          steps: result.steps.map(toStepNode),
        },
      };
    });
  }
}

@Resolver(() => AutomationRunNode)
export class AutomationRunResolver {
  @FieldResolver(() => [AutomationRunStepNode], { description: 'The steps the run took, in order.' })
  async steps(@Root() run: AutomationRunNode, @Ctx() ctx: RequestContext) {
    const rows = await ctx.em.execute<Record<string, unknown>[]>(
      `select step_no, path, action, outcome, input, output, error, started_at, duration_ms from automation_run_step where workspace_id = ? and run_id = ? order by step_no`,
      [workspaceOf(ctx), run.rawId],
    );
    return rows.map((r) =>
      toStepNode({
        stepNo: Number(r.step_no),
        path: String(r.path),
        action: String(r.action),
        outcome: r.outcome as StepOutcome['outcome'],
        input: jsonValue(r.input),
        output: jsonValue(r.output),
        error: (r.error as string | null) ?? null,
        startedAt: dateValue(r.started_at),
        durationMs: Number(r.duration_ms),
      }),
    );
  }
}

export const automationResolvers = [AutomationRuleResolver, AutomationRunResolver];
