import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { CronExpressionParser } from 'cron-parser';
import type { Orm } from '../../db/orm.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import { Sql, sql } from '../../db/sql.js';
import { attachAuditActor, auditActorOf } from '../../db/audit-context.js';
import { ConsentActorKind } from '../consent/consent-change.entity.js';
import { withConsentActor } from '../consent/consent.js';
import { attachCausation, causationOf, type CausationLink } from '../../events/causation.js';
import type { DomainEvent, Subscriber } from '../../events/handlers.js';
import { requestContextAs } from '../../graphql/act-as.js';
import { withEntityManager, type RequestContext } from '../../graphql/context.js';
import { ErrorCode, graphqlError, InputRejected } from '../../graphql/errors.js';
import { eventsOf } from '../../events/registry.js';
import { parseGlobalId } from '../../graphql/global-id.js';
import { AppSlot, attachToApp, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { automationCatalogOf, type ActionContext, type AutomationCatalog, type AutomationRecordType, type Facts } from './catalog.js';
import { factAt, holds } from './conditions.js';
import { compile, isWait, type Condition, type RuleDefinition, type Trigger, type WaitStep } from './definition.js';
import { DATE_KEY, SCHEDULE_KEY, triggerRecordType } from './validate.js';
import { ensureDefaultRules } from './defaults.js';
import { dateValue, jsonValue } from '../../db/column-values.js';

/**
 * Runs of automation rules. An event reaches `startRunsForEvent` through the outbox (the `kernel/automation`
 * subscriber): the workspace's enabled rules whose trigger keys name its type are matched in one indexed lookup, their
 * trigger filters and conditions checked on the record's facts (loaded once per event), and a `queued` run is inserted
 * per rule that holds — idempotently, keyed by the event — with a job asked of the app's scheduler in the same
 * transaction. The job calls `executeRun`, which runs the compiled actions from the run's `pc` until the end, a failed
 * step, or a wait (then the run is `waiting` and a job is asked for at `resumeAt`). Time triggers are started by
 * `startDueDateRuns` and `startDueScheduleRuns`, which jobs call periodically. Nothing here reads the clock: callers
 * pass `now`.
 */

/** A run whose chain already passed through its rule this many times is stopped (loop protection). */
export const DEFAULT_LOOP_LIMIT = 3;
/** A date trigger fires for dates that fell due in this window before `now` (a scan that was missed catches up). */
export const DATE_WINDOW_MS = 2 * 86_400_000;
/** A schedule's tick this recent is started when the periodic check finds it not started yet. */
export const SCHEDULE_GRACE_MS = 10 * 60_000;
/** Instructions one job runs at most (a rule cannot loop inside itself: jumps only go forward, but branches can nest). */
const MAX_STEPS_PER_RUN = 500;

/** The transaction-local setting under which the `automation_worker` policy lets the app role read every workspace's rules. */
export const AUTOMATION_WORKER_SETTING = 'app.automation_worker';

export interface QueuedRun {
  id: string;
  workspaceId: string;
  runAt: Date;
}
export type AutomationRunScheduler = (em: SqlEntityManager, runs: QueuedRun[]) => Promise<void>;

interface AutomationSettings {
  schedule: AutomationRunScheduler | null;
  loopLimit: number;
}
const SETTINGS_SLOT = new AppSlot<AutomationSettings>('automation settings');

function settingsOf(holder: AppScoped): AutomationSettings {
  return lookupInApp(holder, SETTINGS_SLOT) ?? { schedule: null, loopLimit: DEFAULT_LOOP_LIMIT };
}

/** Sets the app's run scheduler (the job queue's) and loop limit. */
export function configureAutomation(orm: AppScoped, options: Partial<AutomationSettings>): void {
  const current = lookupInApp(orm, SETTINGS_SLOT);
  if (current) Object.assign(current, options);
  else attachToApp(orm, SETTINGS_SLOT, { schedule: null, loopLimit: DEFAULT_LOOP_LIMIT, ...options });
}

async function scheduleRuns(em: SqlEntityManager, runs: QueuedRun[]): Promise<void> {
  const schedule = settingsOf(em).schedule;
  if (schedule && runs.length) await schedule(em, runs);
}

const rawId = (value: unknown): string | null => (typeof value === 'string' ? (parseGlobalId(value)?.id ?? value) : null);

// ---------------------------------------------------------------------------------------------------------------
// facts

/** Facts of records of one type, with their related records' under their prefixes (`company.industry`). */
export async function loadFacts(
  ctx: RequestContext,
  catalog: AutomationCatalog,
  type: AutomationRecordType,
  ids: string[],
): Promise<Map<string, Facts>> {
  const own = await type.load(ctx, ids);
  for (const [prefix, relation] of Object.entries(type.related ?? {})) {
    const relatedType = catalog.recordTypes.get(relation.recordType);
    if (!relatedType) continue;
    const relatedIds = [...new Set([...own.values()].flatMap((f) => (rawId(f[relation.idField]) ? [rawId(f[relation.idField])!] : [])))];
    const related = await relatedType.load(ctx, relatedIds);
    for (const facts of own.values()) {
      const other = related.get(rawId(facts[relation.idField]) ?? '');
      if (other) for (const [key, value] of Object.entries(other)) facts[`${prefix}.${key}`] = value;
    }
  }
  return own;
}

// ---------------------------------------------------------------------------------------------------------------
// matching events

interface CandidateRow {
  id: string;
  current_version: number;
  definition: RuleDefinition;
}

/**
 * Definitions by `<rule id>:<version>`: a version never changes once written, so every process may keep them (bounded;
 * the oldest go first). Matching then reads only the candidates' ids and versions, and the definitions it lacks.
 */
const definitions = new Map<string, RuleDefinition>();
const MAX_CACHED_DEFINITIONS = 20_000;

async function candidateRules(em: SqlEntityManager, workspaceId: string, eventType: string): Promise<CandidateRow[]> {
  const q = sql`select r.id, r.current_version from automation_rule r
     where r.workspace_id = ${workspaceId} and r.enabled and r.trigger_keys @> array[${eventType}]::text[]
     order by r.created_at, r.id`;
  const rows = await em.execute<{ id: string; current_version: number }[]>(q.text, q.params);
  const missing = rows.filter((r) => !definitions.has(`${r.id}:${r.current_version}`));
  if (missing.length) {
    const versions = sql`select rule_id, version, definition from automation_rule_version where workspace_id = ${workspaceId} and (rule_id, version) in (${Sql.join(
      missing.map((r) => sql`(${r.id}::uuid, ${Number(r.current_version)})`),
      ', ',
    )})`;
    for (const v of await em.execute<{ rule_id: string; version: number; definition: unknown }[]>(versions.text, versions.params)) {
      if (definitions.size >= MAX_CACHED_DEFINITIONS) definitions.delete(definitions.keys().next().value!);
      definitions.set(`${v.rule_id}:${v.version}`, jsonValue<RuleDefinition>(v.definition));
    }
  }
  return rows.flatMap((r) => {
    const definition = definitions.get(`${r.id}:${r.current_version}`);
    return definition ? [{ id: String(r.id), current_version: Number(r.current_version), definition }] : [];
  });
}

export interface RuleStart {
  ruleId: string;
  version: number;
  recordType: AutomationRecordType | null;
  recordId: string | null;
}

/** The change of a field that an update event's payload records (`changes`, or `before`/`after` of a dedicated event). */
function changeOf(
  type: AutomationRecordType | null,
  payload: Record<string, unknown>,
  field: string,
): { before: unknown; after: unknown } | null {
  const changes = payload.changes as Record<string, { before: unknown; after: unknown }> | undefined;
  if (!changes) return 'after' in payload ? { before: payload.before, after: payload.after } : null;
  if (field.startsWith('custom.')) {
    const custom = changes.customFields as { before?: Record<string, unknown>; after?: Record<string, unknown> } | undefined;
    const key = field.slice(7);
    if (!custom || (custom.before?.[key] ?? null) === (custom.after?.[key] ?? null)) return null;
    return { before: custom.before?.[key] ?? null, after: custom.after?.[key] ?? null };
  }
  return changes[type?.fields[field]?.changeKey ?? field] ?? null;
}

const same = (a: unknown, b: unknown) => {
  const x = rawId(a) ?? a;
  const y = rawId(b) ?? b;
  return typeof x === 'string' && typeof y === 'string' ? x.toLowerCase() === y.toLowerCase() : (x ?? null) === (y ?? null);
};

/** Whether the trigger's own filter passes for the event (given the record's facts, when it has one). */
function triggerPasses(trigger: Trigger, type: AutomationRecordType | null, event: DomainEvent, facts: Facts | null): boolean {
  if (trigger.type === 'event') {
    if (trigger.field === undefined) return true;
    const change = changeOf(type, event.payload, trigger.field);
    if (!change) return false;
    return (
      (trigger.from === undefined || same(change.before, trigger.from)) && (trigger.to === undefined || same(change.after, trigger.to))
    );
  }
  if (trigger.type === 'recordEntersState') {
    if (!type) return false;
    const mapped = type.states?.[trigger.field]?.find((s) => s.event === event.type);
    if (mapped) return same(mapped.valueOf(event.payload), trigger.value);
    if (event.type.endsWith('.created')) return facts != null && same(factAt(facts, trigger.field), trigger.value);
    const change = changeOf(type, event.payload, trigger.field);
    return change != null && !same(change.before, trigger.value) && same(change.after, trigger.value);
  }
  if (trigger.type === 'integration') return event.payload.integration === trigger.integration;
  return false;
}

async function contactByEmail(em: SqlEntityManager, workspaceId: string, email: unknown): Promise<string | null> {
  if (typeof email !== 'string' || !email.includes('@') || email.length > 320) return null;
  const q = sql`select id from contact where workspace_id = ${workspaceId} and primary_email = ${email.trim().toLowerCase()} and deleted_at is null limit 1`;
  const [row] = await em.execute<{ id: string }[]>(q.text, q.params);
  return row ? String(row.id) : null;
}

/**
 * Starts the runs an event triggers (in the outbox delivery's transaction). Returns the runs started (and the
 * loop-stopped ones, recorded `stopped`).
 */
export async function startRunsForEvent(
  em: SqlEntityManager,
  event: DomainEvent,
  now: Date,
): Promise<{ started: string[]; stopped: string[] }> {
  const result = { started: [] as string[], stopped: [] as string[] };
  if (automationCatalogOf(em).defaultTriggerEvents().has(event.type)) await ensureDefaultRules(em, event.workspaceId);
  const candidates = await candidateRules(em, event.workspaceId, event.type);
  if (!candidates.length) return result;
  const catalog = automationCatalogOf(em);
  const ctx = await requestContextAs(em, event.workspaceId, null);
  const factsCache = new Map<string, Facts | null>();
  const factsOf = async (type: AutomationRecordType, id: string): Promise<Facts | null> => {
    const key = `${type.name}:${id}`;
    if (!factsCache.has(key)) factsCache.set(key, (await loadFacts(ctx, catalog, type, [id])).get(id) ?? null);
    return factsCache.get(key)!;
  };
  const starts: (RuleStart & { chain: CausationLink[]; stopped: boolean })[] = [];
  const loopLimit = settingsOf(em).loopLimit;
  for (const candidate of candidates) {
    const definition = candidate.definition;
    const trigger = definition.trigger;
    const type = triggerRecordType(catalog, trigger);
    let recordId: string | null = null;
    if (trigger.type === 'integration' && trigger.contactEmailPath) {
      recordId = await contactByEmail(em, event.workspaceId, factAt({ event: event.payload.body }, `event.${trigger.contactEmailPath}`));
      if (!recordId) continue;
    } else if (type && catalog.eventRecords.get(event.type)) {
      recordId = catalog.eventRecords.get(event.type)!.idOf(event.payload);
      if (!recordId) continue;
    } else if (type && event.type.startsWith(`${type.eventPrefix}.`)) {
      recordId = typeof event.payload.id === 'string' ? event.payload.id : null;
      if (!recordId) continue;
    }
    const facts = type && recordId ? await factsOf(type, recordId) : null;
    if (type && recordId && !facts) continue; // deleted (or merged) since the event
    if (!triggerPasses(trigger, type, event, facts)) continue;
    if (definition.conditions && !holds(definition.conditions, { ...facts, event: event.payload }, now)) continue;
    const chain = event.causation ?? [];
    const passes = chain.filter((link) => link.ruleId === candidate.id).length;
    starts.push({
      ruleId: candidate.id,
      version: Number(candidate.current_version),
      recordType: type,
      recordId,
      chain,
      stopped: passes >= loopLimit,
    });
  }
  const inserted = await insertRuns(
    em,
    event.workspaceId,
    starts.map((start) => ({
      start,
      dedupeKey: `event:${event.id}`,
      trigger: { kind: 'event', eventId: event.id, eventType: event.type },
      chain: start.chain,
      stopped: start.stopped ? `stopped at the loop limit: this rule already ran ${loopLimit} times in this chain of automation` : null,
      now,
    })),
  );
  for (const [i, id] of inserted.entries()) if (id) (starts[i]!.stopped ? result.stopped : result.started).push(id);
  const queued = result.started.map((id) => ({ id, workspaceId: event.workspaceId, runAt: now }));
  await scheduleRuns(em, queued);
  return result;
}

interface NewRun {
  start: RuleStart;
  dedupeKey: string;
  trigger: Record<string, unknown>;
  chain: CausationLink[];
  stopped: string | null;
  now: Date;
}

/** Inserts runs in one statement (a run already started for its rule and dedupe key is skipped); their ids, null where skipped. */
async function insertRuns(em: SqlEntityManager, workspaceId: string, runs: NewRun[]): Promise<(string | null)[]> {
  if (!runs.length) return [];
  const ids = runs.map(() => randomUUID());
  const params = runs.flatMap((run, i) => [
    ids[i],
    workspaceId,
    run.start.ruleId,
    run.start.version,
    run.stopped ? 'stopped' : 'queued',
    JSON.stringify(run.trigger),
    run.dedupeKey.slice(0, 300),
    run.start.recordType?.name ?? null,
    run.start.recordId,
    JSON.stringify([...run.chain, { ruleId: run.start.ruleId, runId: ids[i] }]),
    run.stopped,
    run.now,
    run.now,
    run.stopped ? run.now : null,
  ]);
  const rows = await em.execute<{ id: string }[]>(
    `insert into automation_run (id, workspace_id, rule_id, rule_version, status, trigger, dedupe_key, record_type, record_id, causation, pc, error, created_at, updated_at, finished_at)
     values ${runs.map(() => '(?, ?, ?, ?, ?, cast(? as jsonb), ?, ?, ?, cast(? as jsonb), 0, ?, ?, ?, ?)').join(', ')}
     on conflict (rule_id, dedupe_key) do nothing returning id`,
    params,
  );
  const returned = new Set(rows.map((r) => String(r.id)));
  return ids.map((id) => (returned.has(id!) ? id! : null));
}

async function insertRun(
  em: SqlEntityManager,
  workspaceId: string,
  start: RuleStart,
  options: Omit<NewRun, 'start'>,
): Promise<string | null> {
  return (await insertRuns(em, workspaceId, [{ start, ...options }]))[0] ?? null;
}

/** The kernel's subscriber that starts the runs of every event. Idempotent by the run's unique (rule, event) key. */
export function automationSubscriber(now: () => Date = () => new Date()): Subscriber & { plugin: string } {
  return {
    plugin: 'kernel',
    name: 'automation',
    on: ['*'],
    async handle(event, { em }) {
      await startRunsForEvent(em, event, now());
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// time triggers

interface TimeRuleRow {
  id: string;
  workspace_id: string;
  current_version: number;
  definition: unknown;
}

/** Enabled rules with a time trigger, across workspaces (read under the `automation_worker` policy). */
/** Runs `work` in a short transaction that sees every workspace's rules and runs (the `automation_worker` policies; reads only). */
async function asAutomationWorker<T>(orm: Orm, work: (em: SqlEntityManager) => Promise<T>): Promise<T> {
  const em = orm.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
  return em.transactional(async (tx) => {
    await tx.execute(`select set_config('${AUTOMATION_WORKER_SETTING}', 'on', true)`);
    return work(tx as SqlEntityManager);
  });
}

async function timeRules(orm: Orm, key: string): Promise<TimeRuleRow[]> {
  return asAutomationWorker(orm, async (tx) => {
    const q = sql`select r.id, r.workspace_id, r.current_version, v.definition from automation_rule r
        join automation_rule_version v on v.rule_id = r.id and v.version = r.current_version
       where r.enabled and r.trigger_keys @> array[${key}]::text[] order by r.workspace_id, r.id`;
    return tx.execute<TimeRuleRow[]>(q.text, q.params);
  });
}

/** The SQL expression of a date field of a record type (a column, or a custom DATE field's value). */
function dateExpression(type: AutomationRecordType, field: string): Sql | null {
  const column = type.table?.dateColumns[field];
  if (column) return new Sql(`r.${column}`);
  if (field.startsWith('custom.') && /^custom\.[a-z][a-zA-Z0-9_]{0,63}$/.test(field))
    return sql`(case when r.custom_fields->>${field.slice(7)} ~ '^\\d{4}-\\d{2}-\\d{2}' then cast(substr(r.custom_fields->>${field.slice(7)}, 1, 10) as date)::timestamptz end)`;
  return null;
}

/**
 * Starts the runs of "N days before/after a date field" rules whose moment fell due in the window before `now`,
 * once per record and date (the dedupe key), with a job per run. Returns how many started.
 */
export async function startDueDateRuns(orm: Orm, now: Date): Promise<number> {
  const catalog = automationCatalogOf(orm);
  let started = 0;
  for (const rule of await timeRules(orm, DATE_KEY)) {
    const definition = jsonValue<RuleDefinition>(rule.definition);
    const trigger = definition.trigger;
    if (trigger.type !== 'dateRelative') continue;
    const type = catalog.recordTypes.get(trigger.recordType);
    const expression = type && dateExpression(type, trigger.field);
    if (!type?.table || !expression) continue;
    started += await withWorkspace(orm, rule.workspace_id, async (em) => {
      const offset = sql`make_interval(days => ${trigger.offsetDays})`;
      const q = sql`select r.id, (${expression}) as due_date from ${new Sql(type.table!.name)} r
         where r.workspace_id = ${rule.workspace_id} ${new Sql(type.table!.liveWhere ? `and r.${type.table!.liveWhere}` : '')}
           and (${expression}) + ${offset} <= ${now} and (${expression}) + ${offset} > ${new Date(now.getTime() - DATE_WINDOW_MS)}
         order by r.id limit 1000`;
      const due = await em.execute<{ id: string; due_date: unknown }[]>(q.text, q.params);
      if (!due.length) return 0;
      const ctx = await requestContextAs(em, rule.workspace_id, null);
      const facts = await loadFacts(
        ctx,
        catalog,
        type,
        due.map((d) => String(d.id)),
      );
      const queued: QueuedRun[] = [];
      for (const record of due) {
        const recordFacts = facts.get(String(record.id));
        if (!recordFacts || !holds(definition.conditions, recordFacts, now)) continue;
        const dueDate = dateValue(record.due_date).toISOString();
        const id = await insertRun(
          em,
          rule.workspace_id,
          { ruleId: rule.id, version: Number(rule.current_version), recordType: type, recordId: String(record.id) },
          {
            dedupeKey: `date:${record.id}:${dueDate}`,
            trigger: { kind: 'date', field: trigger.field, date: dueDate },
            chain: [],
            stopped: null,
            now,
          },
        );
        if (id) queued.push({ id, workspaceId: rule.workspace_id, runAt: now });
      }
      await scheduleRuns(em, queued);
      return queued.length;
    });
  }
  return started;
}

/** Starts the run of every schedule rule whose latest cron tick (in its time zone) is recent and not started yet. */
export async function startDueScheduleRuns(orm: Orm, now: Date): Promise<number> {
  let started = 0;
  for (const rule of await timeRules(orm, SCHEDULE_KEY)) {
    const definition = jsonValue<RuleDefinition>(rule.definition);
    const trigger = definition.trigger;
    if (trigger.type !== 'schedule') continue;
    let tick: Date;
    try {
      tick = CronExpressionParser.parse(trigger.cron, { currentDate: new Date(now.getTime() + 1), tz: trigger.timeZone ?? 'UTC' })
        .prev()
        .toDate();
    } catch {
      continue;
    }
    if (now.getTime() - tick.getTime() > SCHEDULE_GRACE_MS) continue;
    if (definition.conditions && !holds(definition.conditions, {}, now)) continue;
    started += await withWorkspace(orm, rule.workspace_id, async (em) => {
      const id = await insertRun(
        em,
        rule.workspace_id,
        { ruleId: rule.id, version: Number(rule.current_version), recordType: null, recordId: null },
        {
          dedupeKey: `schedule:${tick.toISOString()}`,
          trigger: { kind: 'schedule', tick: tick.toISOString() },
          chain: [],
          stopped: null,
          now,
        },
      );
      if (id) await scheduleRuns(em, [{ id, workspaceId: rule.workspace_id, runAt: now }]);
      return id ? 1 : 0;
    });
  }
  return started;
}

// ---------------------------------------------------------------------------------------------------------------
// executing runs

interface RunRow {
  id: string;
  rule_id: string;
  rule_version: number;
  status: string;
  trigger: unknown;
  record_type: string | null;
  record_id: string | null;
  causation: unknown;
  pc: number;
  resume_at: unknown;
  name: string;
  owner_id: string | null;
  definition: unknown;
}

export interface StepOutcome {
  path: string;
  action: string;
  outcome: 'succeeded' | 'failed' | 'waiting' | 'skipped';
  input: unknown;
  output: unknown;
  error: string | null;
  durationMs: number;
  startedAt: Date;
}

export interface SegmentResult {
  status: 'succeeded' | 'failed' | 'waiting' | 'stopped';
  pc: number;
  resumeAt: Date | null;
  error: string | null;
  steps: StepOutcome[];
}

/** When a wait step ends (null: it cannot be computed, e.g. the date field is empty: the run goes on at once). */
function waitUntil(step: WaitStep, facts: Facts | null, now: Date): Date | null {
  if (step.untilField !== undefined) {
    const value = facts ? factAt(facts, step.untilField) : null;
    const at = value == null ? Number.NaN : dateValue(value).getTime();
    return Number.isNaN(at) ? null : new Date(at + (step.offsetDays ?? 0) * 86_400_000);
  }
  return new Date(now.getTime() + (((step.days ?? 0) * 24 + (step.hours ?? 0)) * 60 + (step.minutes ?? 0)) * 60_000);
}

const messageOf = (error: unknown) =>
  error instanceof InputRejected
    ? error.errors.map((e) => (e.field.length ? `${e.field.join('.')}: ${e.message}` : e.message)).join('; ')
    : error instanceof Error
      ? error.message
      : String(error);

export interface SegmentInput {
  ctx: RequestContext;
  catalog: AutomationCatalog;
  workspaceId: string;
  rule: { id: string; name: string };
  runId: string;
  definition: RuleDefinition;
  record: { type: AutomationRecordType; id: string } | null;
  event: ActionContext['event'];
  pc: number;
  now: Date;
  dryRun: boolean;
  /** The modules enabled in the workspace: a step of another module's action fails (`MODULE_DISABLED`). */
  enabledModules: Set<string>;
  /** The record's facts, when the caller has just loaded them (else loaded here). */
  facts?: Facts;
}

/** The owners (`kernel`, plugin ids) of the catalog's actions and record types that are enabled in the workspace. */
export async function enabledOwners(holder: AppScoped, workspaceId: string): Promise<Set<string>> {
  const catalog = automationCatalogOf(holder);
  const owners = new Set([...catalog.actions.entries(), ...catalog.recordTypes.entries()].map(([, , owner]) => owner));
  const events = eventsOf(holder);
  const enabled = new Set<string>();
  for (const owner of owners) if (await events.isPluginEnabled(workspaceId, owner)) enabled.add(owner);
  return enabled;
}

/**
 * Runs instructions from `pc` until the end, a failed step or a wait that ends after `now`. Each action runs in a
 * savepoint of the caller's transaction: a failing one leaves nothing behind, and the steps before it stay done.
 */
export async function runSegment(input: SegmentInput): Promise<SegmentResult> {
  const { ctx, catalog, definition, workspaceId } = input;
  const program = compile(definition.actions);
  const steps: StepOutcome[] = [];
  const refresh = async () =>
    input.record ? ((await loadFacts(ctx, catalog, input.record.type, [input.record.id])).get(input.record.id) ?? null) : null;
  let facts = input.facts ?? (await refresh());
  if (input.record && !facts) return { status: 'stopped', pc: input.pc, resumeAt: null, error: 'the record no longer exists', steps };
  const factsWithEvent = () => ({ ...facts, ...(input.event ? { event: input.event.payload } : {}) });
  let pc = input.pc;
  for (let executed = 0; pc < program.length; executed++) {
    if (executed >= MAX_STEPS_PER_RUN)
      return { status: 'failed', pc, resumeAt: null, error: `more than ${MAX_STEPS_PER_RUN} steps`, steps };
    const instruction = program[pc]!;
    const startedAt = new Date();
    if (instruction.op === 'jump') {
      pc = instruction.to;
      continue;
    }
    if (instruction.op === 'branch') {
      const taken = holds(instruction.condition, factsWithEvent(), input.now);
      steps.push({
        path: instruction.path,
        action: 'branch',
        outcome: 'succeeded',
        input: instruction.condition,
        output: { took: taken ? 'actions' : 'otherwise' },
        error: null,
        durationMs: 0,
        startedAt,
      });
      pc = taken ? pc + 1 : instruction.elseAt;
      continue;
    }
    const step = instruction.step;
    if (isWait(step)) {
      const until = waitUntil(step, facts, input.now);
      if (until && until.getTime() > input.now.getTime()) {
        steps.push({
          path: instruction.path,
          action: 'wait',
          outcome: 'waiting',
          input: step,
          output: { until: until.toISOString() },
          error: null,
          durationMs: 0,
          startedAt,
        });
        return { status: 'waiting', pc: pc + 1, resumeAt: until, error: null, steps };
      }
      steps.push({
        path: instruction.path,
        action: 'wait',
        outcome: 'skipped',
        input: step,
        output: { until: until?.toISOString() ?? null },
        error: null,
        durationMs: 0,
        startedAt,
      });
      pc++;
      continue;
    }
    const action = catalog.actions.get(step.type);
    const { type: _type, ...params } = step;
    const started = performance.now();
    try {
      if (!action) throw new Error(`unknown action ${step.type} (its module is not installed)`);
      const owner = catalog.actions.ownerOf(step.type)!;
      if (!input.enabledModules.has(owner))
        throw graphqlError(ErrorCode.MODULE_DISABLED, `the module ${owner} is disabled in this workspace`);
      const parsed = action.params.parse(params);
      const output = await ctx.em.transactional(async (savepoint) => {
        const em = savepoint as SqlEntityManager;
        const actor = auditActorOf(ctx.em);
        if (actor) attachAuditActor(em, actor);
        // the savepoint has a transaction context of its own: the events written in it carry the run's chain too
        attachCausation(em, causationOf(ctx.em));
        const stepCtx = withEntityManager(ctx, em);
        // consent fields a step changes are the rule's doing, whoever owns it
        const consentActor = { kind: ConsentActorKind.AUTOMATION, id: input.rule.id };
        return withConsentActor(em, consentActor, { source: `automation rule "${input.rule.name}"`.slice(0, 500) }, () =>
          action.run({
            ctx: stepCtx,
            workspaceId,
            params: parsed,
            rule: input.rule,
            run: { id: input.runId },
            path: instruction.path,
            record: input.record && facts ? { type: input.record.type, id: input.record.id, facts } : null,
            event: input.event,
            now: input.now,
            dryRun: input.dryRun,
            state: ruleState(em, workspaceId, input.rule.id),
            holds: (condition: Condition) => holds(condition, factsWithEvent(), input.now),
            catalog,
          }),
        );
      });
      steps.push({
        path: instruction.path,
        action: step.type,
        outcome: 'succeeded',
        input: params,
        output: output ?? null,
        error: null,
        durationMs: Math.round(performance.now() - started),
        startedAt,
      });
    } catch (error) {
      const message = messageOf(error);
      steps.push({
        path: instruction.path,
        action: step.type,
        outcome: 'failed',
        input: params,
        output: null,
        error: message,
        durationMs: Math.round(performance.now() - started),
        startedAt,
      });
      return { status: 'failed', pc, resumeAt: null, error: `${instruction.path} (${step.type}): ${message}`, steps };
    }
    pc++;
    facts = (await refresh()) ?? facts;
  }
  return { status: 'succeeded', pc, resumeAt: null, error: null, steps };
}

function ruleState(em: SqlEntityManager, workspaceId: string, ruleId: string): ActionContext['state'] {
  return {
    async get<T>(key: string) {
      // the row is made first, then locked: two runs of the rule in flight read and advance it one after the other
      await em.execute(
        `insert into automation_rule_state (rule_id, key, workspace_id, value) values (?, ?, ?, cast(? as jsonb)) on conflict (rule_id, key) do nothing`,
        [ruleId, key, workspaceId, JSON.stringify({ v: null })],
      );
      const rows = await em.execute<{ value: unknown }[]>(
        `select value from automation_rule_state where rule_id = ? and key = ? for update`,
        [ruleId, key],
      );
      // wrapped: a jsonb string would come back from the driver as a bare string, indistinguishable from JSON text
      return (rows[0] ? (jsonValue<{ v: T | null }>(rows[0].value).v ?? undefined) : undefined) as T | undefined;
    },
    async set(key, value) {
      await em.execute(
        `insert into automation_rule_state (rule_id, key, workspace_id, value) values (?, ?, ?, cast(? as jsonb))
         on conflict (rule_id, key) do update set value = excluded.value`,
        [ruleId, key, workspaceId, JSON.stringify({ v: value })],
      );
    },
  };
}

/**
 * One job's work on a run: claims it (queued, or waiting and due), runs the next segment as the rule's owner with the
 * run's causation chain on every write, records the steps and the run's state, and asks for a job at `resumeAt` when
 * it waits. Returns the run's status afterwards (null: nothing to do — unknown, not due, or claimed elsewhere).
 */
export async function executeRun(orm: Orm, workspaceId: string, runId: string, now: Date): Promise<string | null> {
  // which modules are enabled, asked before the transaction: the answer comes from a read of its own (on PGlite's
  // single connection, that read inside the run's transaction would wait for the transaction to end)
  const enabledModules = await enabledOwners(orm, workspaceId);
  return withWorkspace(orm, workspaceId, (outer) =>
    outer.transactional(async (tx) => {
      const em = tx as SqlEntityManager;
      const [run] = await em.execute<RunRow[]>(
        `select run.id, run.rule_id, run.rule_version, run.status, run.trigger, run.record_type, run.record_id, run.causation, run.pc, run.resume_at,
                r.name, r.owner_id, v.definition
           from automation_run run
           join automation_rule r on r.id = run.rule_id
           join automation_rule_version v on v.rule_id = run.rule_id and v.version = run.rule_version
          where run.workspace_id = ? and run.id = ? and run.status in ('queued', 'waiting')
          for update of run skip locked`,
        [workspaceId, runId],
      );
      if (!run) return null;
      if (run.status === 'waiting' && run.resume_at && dateValue(run.resume_at).getTime() > now.getTime() + 2000) return null;
      const catalog = automationCatalogOf(em);
      const ctx = await requestContextAs(em, workspaceId, run.owner_id);
      attachCausation(em, jsonValue<CausationLink[]>(run.causation) ?? []);
      const trigger = jsonValue<Record<string, unknown>>(run.trigger);
      const recordType = run.record_type ? (catalog.recordTypes.get(run.record_type) ?? null) : null;
      let event: ActionContext['event'] = null;
      if (typeof trigger.eventId === 'string') {
        const [row] = await em.execute<{ id: string; type: string; payload: unknown }[]>(
          `select id, type, payload from outbox_event where id = ?`,
          [trigger.eventId],
        );
        if (row) event = { id: String(row.id), type: row.type, payload: jsonValue<Record<string, unknown>>(row.payload) };
      }
      const result =
        run.record_type && !recordType
          ? ({
              status: 'stopped',
              pc: Number(run.pc),
              resumeAt: null,
              error: `record type ${run.record_type} is not installed`,
              steps: [],
            } as SegmentResult)
          : await runSegment({
              ctx,
              catalog,
              workspaceId,
              rule: { id: run.rule_id, name: run.name },
              runId,
              definition: jsonValue<RuleDefinition>(run.definition),
              record: recordType && run.record_id ? { type: recordType, id: String(run.record_id) } : null,
              event,
              pc: Number(run.pc),
              now,
              dryRun: false,
              enabledModules,
            });
      await recordSteps(em, workspaceId, runId, result.steps);
      const finished = result.status !== 'waiting';
      await em.execute(
        `update automation_run set status = ?, pc = ?, resume_at = ?, error = ?, started_at = coalesce(started_at, ?), finished_at = ?, updated_at = ? where id = ?`,
        [result.status, result.pc, result.resumeAt, result.error, now, finished ? now : null, now, runId],
      );
      if (result.status === 'waiting' && result.resumeAt) await scheduleRuns(em, [{ id: runId, workspaceId, runAt: result.resumeAt }]);
      return result.status;
    }),
  );
}

async function recordSteps(em: SqlEntityManager, workspaceId: string, runId: string, steps: StepOutcome[]): Promise<void> {
  if (!steps.length) return;
  const [{ n }] = (await em.execute<{ n: number }[]>(`select count(*)::int as n from automation_run_step where run_id = ?`, [runId])) as [
    { n: number },
  ];
  const params = steps.flatMap((s, i) => [
    randomUUID(),
    workspaceId,
    runId,
    Number(n) + i + 1,
    s.path,
    s.action,
    JSON.stringify(s.input ?? null),
    JSON.stringify(s.output ?? null),
    s.outcome,
    s.error,
    s.startedAt,
    s.durationMs,
  ]);
  await em.execute(
    `insert into automation_run_step (id, workspace_id, run_id, step_no, path, action, input, output, outcome, error, started_at, duration_ms)
     values ${steps.map(() => '(?, ?, ?, ?, ?, ?, cast(? as jsonb), cast(? as jsonb), ?, ?, ?, ?)').join(', ')}`,
    params,
  );
}

/** Runs due to resume (waiting, `resumeAt` passed) whose job was lost: for a periodic sweep. */
export async function dueRuns(orm: Orm, now: Date, limit = 500): Promise<QueuedRun[]> {
  return asAutomationWorker(orm, async (tx) => {
    const rows = await tx.execute<{ id: string; workspace_id: string; resume_at: unknown }[]>(
      `select id, workspace_id, coalesce(resume_at, created_at) as resume_at from automation_run
        where (status = 'waiting' and resume_at <= ?) or (status = 'queued' and created_at <= ?)
        order by resume_at nulls first, id limit ?`,
      [now, new Date(now.getTime() - 60_000), limit],
    );
    return rows.map((r) => ({ id: String(r.id), workspaceId: String(r.workspace_id), runAt: dateValue(r.resume_at) }));
  });
}
