import {
  ErrorCode,
  InputRejected,
  LifecycleStage,
  expectGlobalId,
  sql,
  userError,
  validateContactRules,
  type RequestContext,
  type UserError,
} from '../../../src/sdk/index.js';
import { CAMPAIGN_TEMPLATE } from '../templates/template.service.js';

export const MAX_STEPS = 50;
export const MAX_WAIT_MINUTES = 365 * 24 * 60;
export const MAX_NAME = 200;
const MAX_TASK_SUBJECT = 500;
const MAX_FIELD_VALUE = 200;

export enum StepType {
  SEND_EMAIL = 'send_email',
  WAIT = 'wait',
  BRANCH = 'branch',
  CREATE_TASK = 'create_task',
  UPDATE_FIELD = 'update_field',
}

export enum BranchOn {
  /** The contact opened the email of `emailStep` (a human open). */
  OPENED = 'opened',
  /** The contact clicked a link of the email of `emailStep` (a human click). */
  CLICKED = 'clicked',
  /** The contact matches `rules` (the contact rule language) when the step runs. */
  RULES = 'rules',
}

export enum Weekday {
  MONDAY = 'mon',
  TUESDAY = 'tue',
  WEDNESDAY = 'wed',
  THURSDAY = 'thu',
  FRIDAY = 'fri',
  SATURDAY = 'sat',
  SUNDAY = 'sun',
}
const WEEKDAYS = [Weekday.SUNDAY, Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY, Weekday.SATURDAY];

/** The contact fields an UPDATE_FIELD step may set (through the kernel's updateContact). */
export enum SequenceField {
  LIFECYCLE_STAGE = 'lifecycleStage',
  JOB_TITLE = 'jobTitle',
  SOURCE = 'source',
}

/** A step as stored (raw uuids). Branch targets are step indexes after the branch (steps.length: the end). */
export type SequenceStep =
  | { type: StepType.SEND_EMAIL; templateId: string }
  | { type: StepType.WAIT; minutes: number }
  | { type: StepType.WAIT; untilWeekdays: Weekday[]; untilTime: string }
  | { type: StepType.BRANCH; on: BranchOn.OPENED | BranchOn.CLICKED; emailStep: number; thenStep: number; elseStep: number }
  | { type: StepType.BRANCH; on: BranchOn.RULES; rules: unknown; thenStep: number; elseStep: number }
  | { type: StepType.CREATE_TASK; subject: string; dueInDays: number | null }
  | { type: StepType.UPDATE_FIELD; field: SequenceField; value: string | null };

/** A step as GraphQL takes it: `type` says which of the other fields count. */
export interface StepInput {
  type: StepType;
  templateId?: string | null;
  waitDays?: number | null;
  waitHours?: number | null;
  waitMinutes?: number | null;
  untilWeekdays?: Weekday[] | null;
  untilTime?: string | null;
  branchOn?: BranchOn | null;
  emailStep?: number | null;
  rules?: unknown;
  thenStep?: number | null;
  elseStep?: number | null;
  taskSubject?: string | null;
  taskDueInDays?: number | null;
  field?: SequenceField | null;
  value?: string | null;
}

/** NUL and the other C0 and C1 control characters (tab, LF and CR allowed when `lineBreaks`). */
export function hasControlCharacter(text: string, lineBreaks = false): boolean {
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (lineBreaks && (code === 9 || code === 10 || code === 13)) continue;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** A one-line text of at most `max` characters, trimmed, or the problem with it. */
export function checkLine(text: string, max: number): { value: string } | { problem: string } {
  if (text.length > max) return { problem: `must be at most ${max} characters` };
  if (hasControlCharacter(text)) return { problem: 'must not contain control characters' };
  const value = text.trim();
  if (!value) return { problem: 'must not be empty' };
  return { value };
}

export function isTimeZone(zone: string): boolean {
  if (zone.length > 64 || hasControlCharacter(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const set = (v: unknown) => v !== undefined && v !== null;

/**
 * Checks a whole list of steps (every problem at once, under `steps.<i>.<field>`) and returns them as stored: live
 * templates of the workspace, waits between a minute and a year or until a weekday and time, branches that look back
 * at an email step and jump forward, contact rules that validate, tasks with a subject, fields the step may set.
 */
export async function checkSteps(ctx: RequestContext, input: readonly StepInput[] | null | undefined): Promise<SequenceStep[]> {
  const errors: UserError[] = [];
  const fail = (path: (string | number)[], message: string, code = ErrorCode.BAD_USER_INPUT) =>
    errors.push(userError(['steps', ...path.map(String)], message, code));
  const steps = input ?? [];
  if (!steps.length) throw InputRejected.one('steps', 'a sequence needs at least one step');
  if (steps.length > MAX_STEPS) throw InputRejected.one('steps', `at most ${MAX_STEPS} steps`);
  const out: (SequenceStep | null)[] = [];
  const templateIds = new Map<number, string>();
  for (const [i, step] of steps.entries()) {
    const target = (key: 'thenStep' | 'elseStep', value: number | null | undefined): number => {
      const to = value ?? i + 1;
      if (!Number.isInteger(to) || to <= i || to > steps.length)
        fail([i, key], `must be a later step (${i + 1}…${steps.length - 1}) or ${steps.length} (the end)`);
      return to;
    };
    switch (step.type) {
      case StepType.SEND_EMAIL: {
        if (!step.templateId) {
          fail([i, 'templateId'], 'an email step needs a template');
          out.push(null);
          break;
        }
        try {
          templateIds.set(i, expectGlobalId(step.templateId, CAMPAIGN_TEMPLATE, `steps.${i}.templateId`));
        } catch {
          fail([i, 'templateId'], 'is not a template id', ErrorCode.NOT_FOUND);
        }
        out.push({ type: StepType.SEND_EMAIL, templateId: templateIds.get(i) ?? '' });
        break;
      }
      case StepType.WAIT: {
        const duration = set(step.waitDays) || set(step.waitHours) || set(step.waitMinutes);
        const until = set(step.untilTime) || set(step.untilWeekdays);
        if (duration === until) {
          fail([i], 'a wait step needs either a duration (waitDays, waitHours, waitMinutes) or untilTime (with untilWeekdays)');
          out.push(null);
        } else if (duration) {
          const parts = [step.waitDays, step.waitHours, step.waitMinutes].map((v) => v ?? 0);
          if (parts.some((v) => !Number.isInteger(v) || v < 0)) fail([i, 'waitMinutes'], 'durations must be whole and not negative');
          const minutes = parts[0]! * 1440 + parts[1]! * 60 + parts[2]!;
          if (minutes < 1 || minutes > MAX_WAIT_MINUTES) fail([i, 'waitMinutes'], 'a wait lasts between one minute and 365 days');
          out.push({ type: StepType.WAIT, minutes });
        } else {
          if (!step.untilTime || !TIME.test(step.untilTime)) fail([i, 'untilTime'], 'must be a time of day as HH:MM (00:00…23:59)');
          const days = [...new Set(step.untilWeekdays ?? [])];
          out.push({ type: StepType.WAIT, untilWeekdays: days, untilTime: step.untilTime ?? '' });
        }
        break;
      }
      case StepType.BRANCH: {
        const thenStep = target('thenStep', step.thenStep);
        if (!set(step.elseStep)) fail([i, 'elseStep'], 'a branch needs the step to go to when its condition does not hold');
        const elseStep = target('elseStep', step.elseStep);
        if (step.branchOn === BranchOn.RULES) {
          if (!set(step.rules)) fail([i, 'rules'], 'a RULES branch needs contact rules');
          else
            try {
              await validateContactRules(ctx, step.rules, `steps.${i}.rules`);
            } catch (error) {
              if (!(error instanceof InputRejected)) throw error;
              errors.push(...error.errors);
            }
          out.push({ type: StepType.BRANCH, on: BranchOn.RULES, rules: step.rules, thenStep, elseStep });
        } else if (step.branchOn === BranchOn.OPENED || step.branchOn === BranchOn.CLICKED) {
          const emailStep = step.emailStep;
          if (
            emailStep == null ||
            !Number.isInteger(emailStep) ||
            emailStep < 0 ||
            emailStep >= i ||
            steps[emailStep]?.type !== StepType.SEND_EMAIL
          )
            fail([i, 'emailStep'], 'must be the index of an earlier SEND_EMAIL step');
          out.push({ type: StepType.BRANCH, on: step.branchOn, emailStep: emailStep ?? -1, thenStep, elseStep });
        } else {
          fail([i, 'branchOn'], 'a branch needs branchOn: OPENED, CLICKED or RULES');
          out.push(null);
        }
        break;
      }
      case StepType.CREATE_TASK: {
        const subject = checkLine(step.taskSubject ?? '', MAX_TASK_SUBJECT);
        if ('problem' in subject) fail([i, 'taskSubject'], subject.problem);
        const due = step.taskDueInDays ?? null;
        if (due !== null && (!Number.isInteger(due) || due < 0 || due > 365)) fail([i, 'taskDueInDays'], 'must be 0…365 days');
        out.push({ type: StepType.CREATE_TASK, subject: 'value' in subject ? subject.value : '', dueInDays: due });
        break;
      }
      case StepType.UPDATE_FIELD: {
        const field = step.field;
        let value: string | null = step.value ?? null;
        if (!field || !Object.values(SequenceField).includes(field)) fail([i, 'field'], 'an update step needs a field');
        else if (field === SequenceField.LIFECYCLE_STAGE) {
          if (!value || !(Object.values(LifecycleStage) as string[]).includes(value))
            fail([i, 'value'], `must be one of ${Object.values(LifecycleStage).join(', ')}`);
        } else if (value !== null) {
          const line = checkLine(value, MAX_FIELD_VALUE);
          if ('problem' in line) fail([i, 'value'], line.problem);
          else value = line.value;
        }
        out.push({ type: StepType.UPDATE_FIELD, field: field ?? SequenceField.SOURCE, value });
        break;
      }
      default:
        fail([i, 'type'], 'unknown step type');
        out.push(null);
    }
  }
  if (templateIds.size) {
    const ids = [...new Set(templateIds.values())];
    const q = sql`select id from campaign_template where workspace_id = ${ctx.principal.workspaceId} and deleted_at is null
      and id in (select cast(jsonb_array_elements_text(cast(${JSON.stringify(ids)} as jsonb)) as uuid))`;
    const found = new Set((await ctx.em.execute<{ id: string }[]>(q.text, q.params)).map((r) => r.id));
    for (const [i, id] of templateIds) if (!found.has(id)) fail([i, 'templateId'], 'template not found', ErrorCode.NOT_FOUND);
  }
  if (errors.length) throw new InputRejected(errors);
  return out as SequenceStep[];
}

// ---- time: waits in the sequence's time zone ----

function zonedParts(t: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** The zone's offset from UTC at instant `t`, in milliseconds. */
function offsetAt(t: number, timeZone: string): number {
  const p = zonedParts(t, timeZone);
  const whole = t - (((t % 1000) + 1000) % 1000);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
}

/** The instant a wall-clock time of the zone names (the later reading when DST makes it ambiguous or skipped). */
function zonedToInstant(year: number, month0: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month0, day, hour, minute);
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  return Math.max(first, second);
}

/** When a wait step that starts at `from` ends. */
export function waitEnd(step: Extract<SequenceStep, { type: StepType.WAIT }>, from: Date, timeZone: string): Date {
  if ('minutes' in step) return new Date(from.getTime() + step.minutes * 60_000);
  const [hour, minute] = step.untilTime.split(':').map(Number) as [number, number];
  const today = zonedParts(from.getTime(), timeZone);
  const days = new Set(step.untilWeekdays);
  for (let d = 0; d <= 8; d++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + d));
    if (days.size && !days.has(WEEKDAYS[date.getUTCDay()]!)) continue;
    const at = zonedToInstant(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), hour, minute, timeZone);
    if (at > from.getTime()) return new Date(at);
  }
  throw new Error('unreachable: a weekday recurs within 8 days');
}
