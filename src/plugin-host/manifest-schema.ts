import { CronExpressionParser } from 'cron-parser';
import semver from 'semver';
import { z } from 'zod';
import { eventTypeName } from '../events/event-type.js';
import { PERMISSION_NAME } from '../permissions/permission-registry.js';
import { KERNEL_OWNER } from '../registries/contribution-registry.js';

/**
 * The shape of a plugin manifest, checked at start-up before anything of the plugin is registered. Every problem is
 * reported (not only the first), each as one line the loader prefixes with the plugin id. Cross-plugin claims (a
 * node type, permission or event type someone else holds) are checked afterwards, in `contributionClashes`.
 */

const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** Namespaced like the kernel's: `deal.stageChanged`, `deal.create`. */
const NAMESPACED = /^[a-z][a-zA-Z0-9]*(\.[a-zA-Z0-9]+)+$/;

const show = (value: unknown) => (typeof value === 'function' ? 'a function' : (JSON.stringify(value) ?? String(value)));
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { error: 'is not a function' });
const classes = z.array(fn);
const nonEmpty = (what: string) =>
  z
    .string({ error: `${what} is not a string` })
    .trim()
    .min(1, { error: `${what} is empty` });
const namespaced = (what: string, example: string) =>
  z.string().regex(NAMESPACED, { error: (issue) => `${what} ${show(issue.input)} is not namespaced (e.g. "${example}")` });
/** `defineEvent` tokens or names. */
const eventName = z.union([z.string(), z.looseObject({ type: z.string() })], {
  error: 'is not an event type (a name or a defineEvent token)',
});

const zodSchema = z
  .custom<z.ZodType>((v) => typeof (v as { safeParse?: unknown } | null)?.safeParse === 'function', {
    error: 'settings is not a zod schema',
  })
  .superRefine((schema, ctx) => {
    const parsed = schema.safeParse({});
    if (parsed.success) return;
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
    ctx.addIssue({ code: 'custom', message: `settings schema must accept {} (give every setting a default): ${issues}` });
  });

const permission = z.looseObject({
  name: z
    .string()
    .regex(PERMISSION_NAME, { error: (issue) => `permission ${show(issue.input)} is not of the form resource:action (e.g. "deal:read")` }),
  description: nonEmpty('permission description'),
  scoped: z.boolean({ error: 'permission scoped is not true or false' }),
  roleGrants: z.partialRecord(z.enum(['MANAGER', 'SALES', 'SUPPORT', 'MARKETING', 'READ_ONLY']), z.enum(['OWN', 'TEAM', 'ALL'])).optional(),
});

const protectedField = z.looseObject({ type: nonEmpty('protected field type'), field: nonEmpty('protected field name') });

const nodeType = z.looseObject({ typeName: nonEmpty('node type name'), rootClass: fn, permission: z.string().optional(), load: fn });

const hook = z.looseObject({
  on: z.string({ error: 'hook on is not a write point name' }),
  order: z.number({ error: 'hook order is not a number' }).int({ error: 'hook order is not an integer' }).optional(),
  run: fn,
});

const subscriber = z
  .looseObject({
    name: nonEmpty('subscriber name'),
    on: z.array(eventName),
    timeoutMs: z.number().int().positive().optional(),
    maxAttempts: z.number().int().positive().optional(),
    idempotent: z.boolean().optional(),
    handle: fn,
  })
  .superRefine((s, ctx) => {
    if (!s.on.length) ctx.addIssue({ code: 'custom', message: `subscriber "${s.name}" listens to no event type` });
  });

const JOB_NAME = /^[a-z][a-z0-9-]{0,59}$/;

function cronProblem(cron: unknown, timeZone: unknown): string | null {
  if (typeof cron !== 'string' || cron.trim().split(/\s+/).length !== 5) return 'must be a 5-field cron expression';
  try {
    CronExpressionParser.parse(cron);
  } catch (error) {
    return `is not a cron expression (${error instanceof Error ? error.message : String(error)})`;
  }
  if (timeZone === undefined) return null;
  try {
    new Intl.DateTimeFormat('en', { timeZone: String(timeZone) });
    return null;
  } catch {
    return `has an unknown time zone ${show(timeZone)}`;
  }
}

const job = z
  .looseObject({
    name: nonEmpty('job name'),
    retryLimit: z.number().int().min(0).max(20).optional(),
    retryDelaySeconds: z.number().int().min(1).max(86_400).optional(),
    run: fn,
  })
  .superRefine((j, ctx) => {
    if (!JOB_NAME.test(j.name))
      ctx.addIssue({ code: 'custom', path: ['name'], message: `job name "${j.name}" must be lower-case letters, digits and dashes` });
    const { cron, timeZone } = j as { cron?: unknown; timeZone?: unknown };
    if (cron === undefined && timeZone === undefined) return;
    const problem = cronProblem(cron, timeZone);
    if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: `job "${j.name}": cron ${show(cron)} ${problem}` });
  });

const recordType = z.looseObject({
  name: nonEmpty('record type name'),
  nodeType,
  customizable: z.looseObject({ objectType: z.string(), table: z.string() }).optional(),
  taggable: z.looseObject({ type: z.string(), table: z.string(), column: z.string() }).optional(),
});

const searchProvider = z.looseObject({
  key: z.string().regex(/^[A-Z][A-Z0-9_]*$/, { error: (i) => `search provider key ${show(i.input)} is not an enum value (e.g. "DEAL")` }),
  typeName: z.string(),
  search: fn,
});

/** Names appearing twice in one list of the manifest (subscribers, jobs). */
const unique =
  <T>(what: string, nameOf: (item: T) => string) =>
  (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    for (const item of items) {
      const name = nameOf(item);
      if (seen.has(name)) ctx.addIssue({ code: 'custom', message: `${what} "${name}" is declared twice` });
      seen.add(name);
    }
  };

export const manifestSchema = z.strictObject(
  {
    id: z
      .string({ error: (i) => idProblem(i.input) })
      .refine((id) => ID.test(id) && id !== KERNEL_OWNER, { error: (i) => idProblem(i.input) }),
    name: z.string({ error: 'has no name' }).trim().min(1, { error: 'has no name' }),
    version: z
      .string({ error: (i) => versionProblem(i.input) })
      .refine((v) => semver.valid(v) !== null, { error: (i) => versionProblem(i.input) }),
    kernel: z
      .string({ error: (i) => rangeProblem(i.input) })
      .refine((r) => semver.validRange(r) !== null, { error: (i) => rangeProblem(i.input) }),
    dependsOn: z
      .record(z.string(), z.unknown())
      .superRefine((deps, ctx) => {
        for (const [dep, range] of Object.entries(deps)) {
          if (typeof range !== 'string' || !semver.validRange(range))
            ctx.addIssue({ code: 'custom', message: `dependency ${dep}: ${show(range)} is not a semver range` });
        }
      })
      .optional(),
    enabledByDefault: z.boolean({ error: 'enabledByDefault is not true or false' }).optional(),
    entities: classes.optional(),
    migrations: z.array(z.looseObject({ name: nonEmpty('migration name'), class: fn })).optional(),
    resolvers: classes.optional(),
    rules: z.record(z.string(), z.unknown()).optional(),
    permissions: z.array(permission).optional(),
    protectedFields: z.array(protectedField).optional(),
    hooks: z.array(hook).optional(),
    subscribers: z
      .array(subscriber)
      .superRefine(unique('subscriber', (s: { name: string }) => s.name))
      .optional(),
    jobs: z
      .array(job)
      .superRefine(unique('job', (j: { name: string }) => j.name))
      .optional(),
    settings: zodSchema.optional(),
    recordTypes: z.array(recordType).optional(),
    nodeTypes: z.array(nodeType).optional(),
    events: z
      .array(eventName)
      .superRefine((events, ctx) => {
        for (const name of events.map(eventTypeName)) {
          if (!NAMESPACED.test(name))
            ctx.addIssue({ code: 'custom', message: `event type ${show(name)} is not namespaced (e.g. "deal.won")` });
        }
      })
      .optional(),
    writePoints: z.array(namespaced('write point', 'deal.create')).optional(),
    timelineEntryTypes: z.array(namespaced('timeline entry type', 'deal.stageChanged')).optional(),
    notificationTypes: z
      .array(
        z.strictObject({
          key: namespaced('notification type', 'deal.rotting'),
          label: z.string().min(1).max(200),
          defaults: z.strictObject({ in_app: z.boolean(), email: z.boolean(), digest: z.boolean() }).partial().optional(),
        }),
      )
      .optional(),
    searchProviders: z.array(searchProvider).optional(),
    automation: z
      .strictObject({
        recordTypes: z
          .array(
            z.looseObject({
              name: nonEmpty('automation record type name'),
              eventPrefix: z.string(),
              fields: z.record(z.string(), z.unknown()),
              load: fn,
            }),
          )
          .optional(),
        eventRecords: z
          .array(
            z.looseObject({
              event: z.string().regex(NAMESPACED, 'a namespaced event type'),
              recordType: nonEmpty('record type'),
              idOf: fn,
            }),
          )
          .optional(),
        actions: z
          .array(
            z.looseObject({
              type: z.string().regex(/^[a-z][a-z0-9-]*\.[a-zA-Z][a-zA-Z0-9]*$/, {
                error: (i) => `automation action type ${show(i.input)} must be "<plugin id>.<name>" (e.g. "pipeline.moveDealToStage")`,
              }),
              description: z.string(),
              params: z.custom((v) => v != null && typeof (v as { safeParse?: unknown }).safeParse === 'function', 'must be a zod schema'),
              run: fn,
            }),
          )
          .optional(),
        defaultRules: z
          .array(
            z.looseObject({
              name: z.string().regex(JOB_NAME, 'lower-case letters, digits and dashes'),
              title: nonEmpty('default rule title'),
              definition: z.looseObject({}),
            }),
          )
          .optional(),
      })
      .optional(),
    contactFacts: z
      .array(
        z.looseObject({
          key: z.string().regex(/^[a-z][a-z0-9-]*(\.[a-zA-Z][a-zA-Z0-9]*)+$/, {
            error: (issue) => `contact fact key ${show(issue.input)} is not namespaced (e.g. "pipeline.openDealInStage")`,
          }),
          description: nonEmpty('contact fact description'),
          params: z.custom((v) => v != null && typeof (v as { safeParse?: unknown }).safeParse === 'function', 'is not a zod schema'),
          condition: fn,
          dependsOn: z.looseObject({
            events: z.array(z.string(), { error: 'is not a list of event types' }),
            contactIdsOf: fn.optional(),
          }),
          timeBased: z.boolean().optional(),
        }),
      )
      .superRefine(unique('contact fact', (f: { key: string }) => f.key))
      .optional(),
    privacy: z.strictObject({ export: fn, anonymize: fn, delete: fn }).optional(),
    demoData: fn.optional(),
    onInstall: fn.optional(),
    onEnable: fn.optional(),
    onDisable: fn.optional(),
    onUninstall: fn.optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown manifest field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : undefined,
  },
);

function idProblem(id: unknown): string {
  return `id ${show(id)} is invalid (lower-case letters, digits and dashes, e.g. "acme-loyalty"; not "kernel")`;
}
function versionProblem(version: unknown): string {
  return `version ${show(version)} is not a semver version (e.g. "1.0.0")`;
}
function rangeProblem(range: unknown): string {
  return `kernel compatibility range ${show(range)} is not a semver range (e.g. "^1.0.0")`;
}

/** The issue's place in the manifest, for messages zod wrote: `jobs[0].run`. */
function placeOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (place, key) => (typeof key === 'number' ? `${place}[${key}]` : place ? `${place}.${String(key)}` : String(key)),
    '',
  );
}

const english = z.locales.en().localeError;

/** The manifest's shape problems, one line each (without the plugin id): empty when the shape is right. */
export function manifestProblems(manifest: unknown): string[] {
  const parsed = manifestSchema.safeParse(manifest, {
    // runs only where the schema gave no message of its own: say where in the manifest
    error: (issue) => {
      const message = english(issue);
      return `${placeOf(issue.path ?? [])} ${typeof message === 'string' ? message : (message?.message ?? 'is invalid')}`.trim();
    },
  });
  if (parsed.success) {
    const { id, automation, contactFacts } = parsed.data;
    return [
      ...(automation?.actions ?? []).flatMap((a) =>
        a.type.startsWith(`${id}.`) ? [] : [`automation action type "${a.type}" must start with the plugin id ("${id}.")`],
      ),
      ...(contactFacts ?? []).flatMap((f) =>
        f.key.startsWith(`${id}.`) ? [] : [`contact fact key "${f.key}" must start with the plugin id ("${id}.")`],
      ),
    ];
  }
  // the schema's own fragments ("is not a function") get their place in front; its sentences stand as written
  return parsed.error.issues.map((issue) => (issue.message.startsWith('is ') ? `${placeOf(issue.path)} ${issue.message}` : issue.message));
}
