import { sandboxedTextEngine } from '../email/render.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import type { AutomationRecordType, Facts } from './catalog.js';

/**
 * Texts of automation steps (task subjects, notes, notifications) are Liquid templates over the run's record
 * (`{{ record.name }}`, `{{ record.company.name }}`, `{{ record.custom.tier }}`) and `{{ rule.name }}`, rendered by the
 * email templates' sandboxed engine (no file access, time and size limits, strict variables).
 */

const MAX_TEMPLATE = 100_000;

/** `{{ record.x }}` names a field of the record type (custom fields and related records' fields included). */
function knownRecordPath(type: AutomationRecordType | null, segments: string[]): boolean {
  if (!type || !segments.length) return false;
  const [head, ...rest] = segments;
  if (head === 'custom') return Boolean(type.customObjectType) && rest.length === 1;
  if (!rest.length) return head === 'id' || Object.hasOwn(type.fields, head!);
  if (type.related?.[head!]) return rest.length >= 1;
  return Object.hasOwn(type.fields, segments.join('.'));
}

/** Checks a text template when a rule is saved: syntax, and every variable known. Throws `InputRejected` at `path`. */
export function checkTextTemplate(source: string, recordType: AutomationRecordType | null, path: string): void {
  const field = path.split('.');
  if (source.length > MAX_TEMPLATE) throw InputRejected.one(field, `must be at most ${MAX_TEMPLATE} characters`);
  let segments: unknown[][];
  try {
    segments = sandboxedTextEngine.globalVariableSegmentsSync(sandboxedTextEngine.parse(source));
  } catch (error) {
    throw InputRejected.one(field, `template error: ${(error as Error).message}`);
  }
  for (const s of segments) {
    const names = s.map(String);
    const known =
      names[0] === 'rule'
        ? names.length === 2 && names[1] === 'name'
        : names[0] === 'record' && knownRecordPath(recordType, names.slice(1));
    if (!known)
      throw InputRejected.one(
        field,
        `{{ ${names.join('.')} }}: unknown merge field (known: rule.name, record.<field>${recordType ? ` of ${recordType.name}` : ' — this rule has no record'})`,
        ErrorCode.BAD_USER_INPUT,
      );
  }
}

/** Flat facts (`company.industry`, `custom.tier`) as the nested object templates walk. */
function nested(facts: Facts): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(facts)) {
    const parts = key.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      let next = node[part];
      if (!next || typeof next !== 'object' || Array.isArray(next)) {
        next = {};
        node[part] = next;
      }
      node = next as Record<string, unknown>;
    }
    node[parts.at(-1)!] = value;
  }
  return out;
}

/** Renders a text template for a run (a missing value renders empty). */
export async function renderTextTemplate(source: string, values: { record: Facts | null; ruleName: string }): Promise<string> {
  if (!source.includes('{')) return source;
  const record = nested(values.record ?? {});
  try {
    return await sandboxedTextEngine.parseAndRender(source, { record, rule: { name: values.ruleName } }, { strictVariables: false });
  } catch (error) {
    throw InputRejected.one('template', `could not render: ${(error as Error).message}`);
  }
}
