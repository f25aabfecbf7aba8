import { Liquid, type Template } from 'liquidjs';
import { convert } from 'html-to-text';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import { hasControlCharacter } from '../shared/text.js';

/**
 * Email templates are Liquid (liquidjs), sandboxed: no file system (`include`, `render` and `layout` are refused),
 * own properties only, strict variables and filters, and limits on template size, render time and memory. Every
 * variable a template names must be a known merge field (checked on save, statically), so a typo is an error then,
 * not an empty string in a customer's inbox.
 */

/** Largest subject, HTML and text templates (characters). */
export const MAX_SUBJECT = 1_000;
export const MAX_HTML = 512 * 1024;
export const MAX_TEXT = 256 * 1024;
/** Largest rendered HTML or text (characters): a loop over caller data cannot blow up a message. */
export const MAX_RENDERED = 2 * 1024 * 1024;
/** Longest render of one part (ms). */
export const RENDER_LIMIT_MS = 1_000;
/** Declared `data.*` variables a template may have. */
export const MAX_DATA_VARIABLES = 50;
const DATA_VARIABLE = /^[a-zA-Z][a-zA-Z0-9_]{0,63}$/;

/** Merge fields by root; `custom` (contact, company) takes a custom field key beneath it. */
export const MERGE_FIELDS = {
  contact: ['firstName', 'lastName', 'name', 'email', 'phone', 'jobTitle', 'lifecycleStage'],
  company: ['name', 'domain'],
  owner: ['name', 'email'],
  workspace: ['name'],
  recipient: ['email'],
} as const;
const WITH_CUSTOM = new Set(['contact', 'company']);

export interface EmailContent {
  subject: string;
  html: string;
  /** Null or absent: derived from the rendered HTML. */
  text?: string | null;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** What a template may name beyond the fixed merge fields. */
export interface KnownVariables {
  contactCustom: ReadonlySet<string>;
  companyCustom: ReadonlySet<string>;
  data: ReadonlySet<string>;
}

type Values = Record<string, unknown>;

/** The values of one render; every known field present (null when unknown), as strict variables require. */
export interface MergeValues {
  contact: Values & { custom: Values };
  company: Values & { custom: Values };
  owner: Values;
  workspace: Values;
  recipient: Values;
  data: Values;
}

const refuse = (what: string) => ({
  parse() {
    throw new Error(`{% ${what} %} is not available in email templates`);
  },
  render() {
    return '';
  },
});

function engine(escapeHtml: boolean): Liquid {
  const liquid = new Liquid({
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    // an empty in-memory mapping: nothing is ever read from the file system
    templates: {},
    dynamicPartials: false,
    outputEscape: escapeHtml ? 'escape' : undefined,
    parseLimit: MAX_HTML + MAX_TEXT + MAX_SUBJECT,
    renderLimit: RENDER_LIMIT_MS,
    memoryLimit: 32 * 1024 * 1024,
  });
  for (const tag of ['include', 'render', 'layout']) liquid.registerTag(tag, refuse(tag));
  return liquid;
}

const htmlEngine = engine(true);
const textEngine = engine(false);

/** The plain-text engine with the email templates' sandbox, for the kernel's other short texts (automation's task subjects). */
export const sandboxedTextEngine: Liquid = textEngine;

type Part = 'subject' | 'html' | 'text';

const limits: Record<Part, number> = { subject: MAX_SUBJECT, html: MAX_HTML, text: MAX_TEXT };

function problemOfSegments(segments: unknown[], known: KnownVariables): string | null {
  const name = segments.map((s) => (Array.isArray(s) ? '[…]' : String(s))).join('.');
  if (segments.some((s) => Array.isArray(s))) return `{{ ${name} }}: computed lookups are not allowed in merge fields`;
  const [root, field, sub, ...rest] = segments as (string | number)[];
  if (root === 'data') {
    if (field === undefined) return '{{ data }}: name a declared data variable (data.<name>)';
    return known.data.has(String(field)) ? null : `{{ ${name} }}: "data.${field}" is not a declared data variable`;
  }
  if (typeof root !== 'string' || !Object.hasOwn(MERGE_FIELDS, root))
    return `{{ ${name} }}: unknown merge field (known: contact.*, company.*, owner.*, workspace.name, recipient.email, data.*)`;
  // `{% if company %}`: the record itself, to test whether there is one
  if (field === undefined) return WITH_CUSTOM.has(root) || root === 'owner' ? null : `{{ ${name} }}: name a field`;
  if (field === 'custom' && WITH_CUSTOM.has(root)) {
    const keys = root === 'contact' ? known.contactCustom : known.companyCustom;
    if (sub === undefined || rest.length) return `{{ ${name} }}: name one custom field (${root}.custom.<key>)`;
    return keys.has(String(sub)) ? null : `{{ ${name} }}: no ${root} custom field "${sub}" in this workspace`;
  }
  if (sub !== undefined) return `{{ ${name} }}: unknown merge field`;
  return (MERGE_FIELDS[root as keyof typeof MERGE_FIELDS] as readonly string[]).includes(String(field))
    ? null
    : `{{ ${name} }}: unknown merge field (${root}: ${MERGE_FIELDS[root as keyof typeof MERGE_FIELDS].join(', ')}${WITH_CUSTOM.has(root) ? ', custom.<key>' : ''})`;
}

/** Parses one part and checks its variables; the problems, each a user error on the part's field. */
function checkPart(part: Part, source: string, known: KnownVariables, field: string): { problems: UserError[]; parsed?: Template[] } {
  if (source.length > limits[part]) return { problems: [userError(field, `must be at most ${limits[part]} characters`)] };
  if (hasControlCharacter(source, part !== 'subject'))
    return {
      problems: [
        userError(field, part === 'subject' ? 'must be one line without control characters' : 'must not contain control characters'),
      ],
    };
  if (/\|\s*raw\b/.test(source))
    return { problems: [userError(field, 'the `raw` filter is not allowed: merge values are always escaped')] };
  let parsed: Template[];
  try {
    parsed = (part === 'html' ? htmlEngine : textEngine).parse(source);
  } catch (error) {
    return { problems: [userError(field, `template error: ${(error as Error).message}`)] };
  }
  let segments: unknown[][];
  try {
    segments = (part === 'html' ? htmlEngine : textEngine).globalVariableSegmentsSync(parsed);
  } catch (error) {
    return { problems: [userError(field, `template error: ${(error as Error).message}`)] };
  }
  const seen = new Set<string>();
  const problems: UserError[] = [];
  for (const s of segments) {
    const problem = problemOfSegments(s, known);
    if (problem && !seen.has(problem)) {
      seen.add(problem);
      problems.push(userError(field, problem));
    }
  }
  return { problems, parsed };
}

/**
 * Checks a template's three parts (syntax, limits, variables); throws `InputRejected` with every problem, each on
 * its field (`<prefix>subject`, `<prefix>html`, `<prefix>text`).
 */
export function checkEmailContent(content: EmailContent, known: KnownVariables, prefix = ''): void {
  const problems: UserError[] = [];
  if (typeof content.subject !== 'string' || !content.subject.trim()) problems.push(userError(`${prefix}subject`, 'must not be empty'));
  else problems.push(...checkPart('subject', content.subject, known, `${prefix}subject`).problems);
  if (typeof content.html !== 'string' || !content.html.trim()) problems.push(userError(`${prefix}html`, 'must not be empty'));
  else problems.push(...checkPart('html', content.html, known, `${prefix}html`).problems);
  if (content.text != null) problems.push(...checkPart('text', content.text, known, `${prefix}text`).problems);
  if (problems.length) throw new InputRejected(problems);
}

/**
 * Content rendered by the caller (`sendEmail({ prerendered: true })`): the limits and control-character checks of a
 * template, no Liquid — it is never parsed, so a `{{` in it stays literal. Returns it as sent (text derived from the
 * HTML when absent); every problem at once, on `<prefix>subject` / `html` / `text`.
 */
export function checkPrerendered(content: EmailContent, prefix = ''): RenderedEmail {
  const problems: UserError[] = [];
  const check = (part: Part, source: unknown) => {
    const field = `${prefix}${part}`;
    if (typeof source !== 'string' || !source.trim()) problems.push(userError(field, 'must not be empty'));
    else if (source.length > limits[part]) problems.push(userError(field, `must be at most ${limits[part]} characters`));
    else if (hasControlCharacter(source, part !== 'subject'))
      problems.push(
        userError(field, part === 'subject' ? 'must be one line without control characters' : 'must not contain control characters'),
      );
  };
  check('subject', content.subject);
  check('html', content.html);
  if (content.text != null) check('text', content.text);
  if (problems.length) throw new InputRejected(problems);
  const subject = content.subject.replace(/\s+/g, ' ').trim();
  return { subject, html: content.html, text: content.text ?? htmlToText(content.html) };
}

/** Checks declared data variable names. */
export function checkDataVariables(names: readonly string[], field = 'dataVariables'): string[] {
  if (names.length > MAX_DATA_VARIABLES) throw InputRejected.one(field, `at most ${MAX_DATA_VARIABLES} data variables`);
  for (const [i, name] of names.entries())
    if (typeof name !== 'string' || !DATA_VARIABLE.test(name))
      throw InputRejected.one([field, String(i)], 'must be a letter followed by letters, digits or underscores (at most 64)');
  return [...new Set(names)];
}

async function renderPart(part: Part, source: string, values: MergeValues, field: string): Promise<string> {
  const liquid = part === 'html' ? htmlEngine : textEngine;
  let out: string;
  try {
    out = String(await liquid.parseAndRender(source, values));
  } catch (error) {
    throw InputRejected.one(field, `could not render: ${(error as Error).message}`);
  }
  if (out.length > MAX_RENDERED) throw InputRejected.one(field, `renders to more than ${MAX_RENDERED} characters`);
  return out;
}

/** Renders subject, HTML (merge values escaped) and text (given, or derived from the HTML). */
export async function renderEmailContent(content: EmailContent, values: MergeValues, prefix = ''): Promise<RenderedEmail> {
  const subject = (await renderPart('subject', content.subject, values, `${prefix}subject`)).replace(/\s+/g, ' ').trim();
  const html = await renderPart('html', content.html, values, `${prefix}html`);
  const text = content.text != null ? await renderPart('text', content.text, values, `${prefix}text`) : htmlToText(html);
  if (!subject) throw InputRejected.one(`${prefix}subject`, 'renders to an empty subject', ErrorCode.BAD_USER_INPUT);
  return { subject: subject.slice(0, MAX_SUBJECT), html, text };
}

export function htmlToText(html: string): string {
  return convert(html, { wordwrap: 100, selectors: [{ selector: 'img', format: 'skip' }] });
}

/** The merge fields a (checked) template names, as `root.field` (`contact.email`, `contact.custom`, `data.orderId`). */
export function mergeFieldsUsed(content: EmailContent): string[] {
  const used = new Set<string>();
  for (const [part, source] of [
    ['subject', content.subject],
    ['html', content.html],
    ['text', content.text],
  ] as const) {
    if (typeof source !== 'string') continue;
    const liquid = part === 'html' ? htmlEngine : textEngine;
    for (const segments of liquid.globalVariableSegmentsSync(liquid.parse(source))) used.add(segments.slice(0, 2).map(String).join('.'));
  }
  return [...used];
}
