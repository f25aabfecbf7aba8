import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../../db/orm.js';
import { withWorkspace } from '../../db/rls/tenant-context.js';
import { emitEvent } from '../../events/emit.js';
import { emailFailed, emailSent, type EmailDelivered } from '../../events/kernel-events.js';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import { UUID } from '../../graphql/global-id.js';
import { AppSlot, attachToApp, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { TimelineEvent } from '../timeline/timeline-event.entity.js';
import { TimelineEntryKind } from '../timeline/timeline-link.entity.js';
import { linkEntry } from '../timeline/timeline.service.js';
import { hasControlCharacter } from '../shared/text.js';
import { EmailMessage, EmailTemplate } from './email.entities.js';
import {
  checkDataVariables,
  checkEmailContent,
  checkPrerendered,
  renderEmailContent,
  type EmailContent,
  type KnownVariables,
  type MergeValues,
  type RenderedEmail,
} from './render.js';
import { emailSettingsOf } from './settings.js';
import { MailError, sendMail } from './transport.js';
import { jsonValue } from '../../db/column-values.js';
import { ADDRESS, checkFrom, checkHeaders } from './message-options.js';

/**
 * Transactional email for the whole kernel and its plugins: `sendEmail` renders a template (or ad-hoc content) for a
 * recipient, records the message (`queued`) and its timeline entry on the contact, and hands it to the scheduler —
 * all in the caller's transaction. The job queue then calls `deliverEmailMessage`, which talks SMTP outside any
 * transaction. Nothing here reads the clock but `deliverEmailMessage`'s `now`.
 */

/** Delivery attempts before a message is given up on (the queue's first try and its retries). */
export const MAX_EMAIL_ATTEMPTS = 6;
/** Largest serialized `data` a send may pass. */
export const MAX_DATA_BYTES = 64 * 1024;
export const MAX_CC = 10;
const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** The entry type of a sent email on a contact's timeline. */
export const EMAIL_TIMELINE_ENTRY = 'email.sent';

// ---------------------------------------------------------------------------------------------------------------
// scheduler

/** A message to deliver, handed to the scheduler in the transaction that records it. */
export interface QueuedEmail {
  workspaceId: string;
  messageId: string;
}

export type EmailDeliveryScheduler = (em: SqlEntityManager, message: QueuedEmail) => Promise<void>;

const SCHEDULER_SLOT = new AppSlot<{ schedule: EmailDeliveryScheduler | null }>('email delivery scheduler');

/** Sets (or with null, removes) the scheduler of the app owning `orm`: the job queue enqueues a delivery job with it. */
export function setEmailDeliveryScheduler(orm: AppScoped, schedule: EmailDeliveryScheduler | null): void {
  const holder = lookupInApp(orm, SCHEDULER_SLOT);
  if (holder) holder.schedule = schedule;
  else attachToApp(orm, SCHEDULER_SLOT, { schedule });
}

// ---------------------------------------------------------------------------------------------------------------
// templates

export interface TemplateInput {
  key?: string | null;
  name?: string | null;
  subject?: string | null;
  html?: string | null;
  text?: string | null;
  dataVariables?: string[] | null;
}

/** What a template of the workspace may name: its contact and company custom field keys, and its declared data. */
export async function knownVariables(em: SqlEntityManager, workspaceId: string, data: Iterable<string>): Promise<KnownVariables> {
  const rows = await em.execute<{ object_type: string; key: string }[]>(
    `select object_type, key from custom_field_definition where workspace_id = ? and object_type in ('Contact', 'Company')`,
    [workspaceId],
  );
  return {
    contactCustom: new Set(rows.filter((r) => r.object_type === 'Contact').map((r) => r.key)),
    companyCustom: new Set(rows.filter((r) => r.object_type === 'Company').map((r) => r.key)),
    data: new Set(data),
  };
}

function checkName(name: unknown, errors: UserError[]): string | undefined {
  const text = typeof name === 'string' ? name.trim() : '';
  if (!text) errors.push(userError('name', 'must not be empty'));
  else if (text.length > 200) errors.push(userError('name', 'must be at most 200 characters'));
  else if (hasControlCharacter(text)) errors.push(userError('name', 'must not contain control characters'));
  else return text;
  return undefined;
}

/** Checks a whole template (create, or an update merged onto the stored one); every problem at once. */
async function checkTemplate(em: SqlEntityManager, workspaceId: string, t: Required<TemplateInput>): Promise<void> {
  const errors: UserError[] = [];
  if (typeof t.key !== 'string' || !SLUG.test(t.key))
    errors.push(userError('key', 'must be 1–64 lower-case letters, digits and dashes, starting with a letter or digit'));
  checkName(t.name, errors);
  let data: string[] = [];
  try {
    data = checkDataVariables(t.dataVariables ?? []);
  } catch (error) {
    if (!(error instanceof InputRejected)) throw error;
    errors.push(...error.errors);
  }
  try {
    checkEmailContent({ subject: t.subject ?? '', html: t.html ?? '', text: t.text }, await knownVariables(em, workspaceId, data));
  } catch (error) {
    if (!(error instanceof InputRejected)) throw error;
    errors.push(...error.errors);
  }
  if (errors.length) throw new InputRejected(errors);
}

export async function createEmailTemplate(
  em: SqlEntityManager,
  workspaceId: string,
  actorId: string | null,
  input: TemplateInput,
): Promise<EmailTemplate> {
  const t = {
    key: input.key ?? '',
    name: input.name ?? '',
    subject: input.subject ?? '',
    html: input.html ?? '',
    text: input.text ?? null,
    dataVariables: input.dataVariables ?? [],
  };
  await checkTemplate(em, workspaceId, t);
  if (await em.findOne(EmailTemplate, { workspaceId, key: t.key }, { filters: false }))
    throw InputRejected.one('key', `a template with the key "${t.key}" already exists`, ErrorCode.CONFLICT);
  const template = em.create(EmailTemplate, {
    workspaceId,
    key: t.key,
    name: t.name.trim(),
    subject: t.subject,
    html: t.html,
    text: t.text,
    dataVariables: [...new Set(t.dataVariables)],
    createdBy: actorId,
  });
  await em.flush();
  return template;
}

export async function findEmailTemplate(
  em: SqlEntityManager,
  workspaceId: string,
  ref: { id?: string | null; key?: string | null },
  field = 'templateId',
): Promise<EmailTemplate> {
  const where = ref.id ? { id: ref.id, workspaceId } : { key: ref.key ?? '', workspaceId };
  const template = ref.id && !UUID.test(ref.id) ? null : await em.findOne(EmailTemplate, where, { filters: false });
  if (!template) throw InputRejected.one(field, 'email template not found', ErrorCode.NOT_FOUND);
  return template;
}

/** Changes the fields given (null `text`: derive it from the HTML again); the stored version must be `version` when given. */
export async function updateEmailTemplate(
  em: SqlEntityManager,
  workspaceId: string,
  id: string,
  input: TemplateInput & { version?: number | null },
): Promise<EmailTemplate> {
  const template = await findEmailTemplate(em, workspaceId, { id }, 'id');
  if (input.version != null && input.version !== template.version)
    throw InputRejected.one(
      'version',
      `the template is at version ${template.version}, not ${input.version}; reload it and try again`,
      ErrorCode.CONFLICT,
    );
  const next = {
    key: input.key ?? template.key,
    name: input.name ?? template.name,
    subject: input.subject ?? template.subject,
    html: input.html ?? template.html,
    text: input.text === undefined ? (template.text ?? null) : input.text,
    dataVariables: input.dataVariables ?? template.dataVariables,
  };
  await checkTemplate(em, workspaceId, next);
  if (next.key !== template.key && (await em.findOne(EmailTemplate, { workspaceId, key: next.key }, { filters: false })))
    throw InputRejected.one('key', `a template with the key "${next.key}" already exists`, ErrorCode.CONFLICT);
  Object.assign(template, { ...next, name: next.name.trim(), dataVariables: [...new Set(next.dataVariables)] });
  await em.flush();
  return template;
}

// ---------------------------------------------------------------------------------------------------------------
// rendering for a recipient

export interface RenderEmailInput {
  workspaceId: string;
  /** Default: the contact's primary email. */
  to?: string | null;
  templateId?: string | null;
  templateKey?: string | null;
  /** Ad-hoc content instead of a template (its data variables are the keys of `data`). */
  content?: EmailContent | null;
  contactId?: string | null;
  /** Values of the template's declared `data.*` variables. */
  data?: Record<string, unknown> | null;
  /**
   * `content` is final, rendered by the caller (a campaign's HTML with its tracked links): sent as it is, never read
   * as Liquid — a `{{` in it stays literal. Size and control-character checks still apply; the text part is still
   * derived from the HTML when absent. Not with a template, nor with `data`.
   */
  prerendered?: boolean | null;
}

export interface RenderedForRecipient extends RenderedEmail {
  to: string | null;
  templateId: string | null;
  contactId: string | null;
}

interface ContactRow {
  id: string;
  first_name: string | null;
  last_name: string | null;
  primary_email: string | null;
  phones: unknown;
  job_title: string | null;
  lifecycle_stage: string | null;
  custom_fields: unknown;
  company_name: string | null;
  company_domain: string | null;
  company_custom: unknown;
  has_company: boolean;
  owner_name: string | null;
  owner_email: string | null;
  has_owner: boolean;
}

function checkAddress(value: unknown, field: string): string {
  const address = typeof value === 'string' ? value.trim() : '';
  if (!address) throw InputRejected.one(field, 'must be an email address');
  if (address.length > 320 || hasControlCharacter(address) || !ADDRESS.test(address))
    throw InputRejected.one(field, 'must be one email address (name@example.com)');
  return address.toLowerCase();
}

/** The contact with its company and owner, in the workspace (null when there is none, or it is in the trash). */
async function contactForMerge(em: SqlEntityManager, workspaceId: string, contactId: string): Promise<ContactRow | null> {
  if (!UUID.test(contactId)) return null;
  const [row] = await em.execute<ContactRow[]>(
    `select c.id, c.first_name, c.last_name, c.primary_email, c.phones, c.job_title, c.lifecycle_stage, c.custom_fields,
            co.id is not null as has_company, co.name as company_name, co.primary_domain as company_domain, co.custom_fields as company_custom,
            u.id is not null as has_owner, u.name as owner_name, u.email as owner_email
       from contact c
       left join company co on co.id = c.company_id and co.workspace_id = c.workspace_id and co.deleted_at is null
       left join app_user u on u.id = c.owner_id
      where c.id = ? and c.workspace_id = ? and c.deleted_at is null`,
    [contactId, workspaceId],
  );
  return row ?? null;
}

async function contactAddress(
  em: SqlEntityManager,
  workspaceId: string,
  contactId: string,
): Promise<Pick<ContactRow, 'id' | 'primary_email'> | null> {
  if (!UUID.test(contactId)) return null;
  const [row] = await em.execute<Pick<ContactRow, 'id' | 'primary_email'>[]>(
    `select c.id, c.primary_email from contact c where c.id = ? and c.workspace_id = ? and c.deleted_at is null`,
    [contactId, workspaceId],
  );
  return row ?? null;
}

function customValues(stored: unknown, keys: ReadonlySet<string>): Record<string, unknown> {
  const values = jsonValue<Record<string, unknown> | null>(stored) ?? {};
  return Object.fromEntries([...keys].map((k) => [k, values[k] ?? null]));
}

function checkData(data: unknown, declared: readonly string[]): Record<string, unknown> {
  if (data == null) return Object.fromEntries(declared.map((k) => [k, null]));
  if (typeof data !== 'object' || Array.isArray(data)) throw InputRejected.one('data', 'must be an object');
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(data));
  } catch {
    throw InputRejected.one('data', 'must be JSON');
  }
  if (size > MAX_DATA_BYTES) throw InputRejected.one('data', `must be at most ${MAX_DATA_BYTES} bytes as JSON`);
  if (JSON.stringify(data).includes('\\u0000')) throw InputRejected.one('data', 'must not contain NUL characters');
  const undeclared = Object.keys(data).filter((k) => !declared.includes(k));
  if (undeclared.length) throw InputRejected.one('data', `not declared by the template: ${undeclared.slice(0, 10).join(', ')}`);
  return { ...Object.fromEntries(declared.map((k) => [k, null])), ...(JSON.parse(JSON.stringify(data)) as Record<string, unknown>) };
}

/** The content to render: a stored template (by id or key) or ad-hoc content, checked like a template. */
async function contentOf(
  em: SqlEntityManager,
  input: RenderEmailInput,
): Promise<{ content: EmailContent; templateId: string | null; declared: string[]; known: KnownVariables }> {
  const given = [input.templateId, input.templateKey, input.content].filter((v) => v != null).length;
  if (given !== 1) throw InputRejected.one('template', 'give exactly one of templateId, templateKey or subject/html');
  if (input.content) {
    const declared = input.data && typeof input.data === 'object' ? checkDataVariables(Object.keys(input.data), 'data') : [];
    const known = await knownVariables(em, input.workspaceId, declared);
    checkEmailContent(input.content, known);
    return { content: input.content, templateId: null, declared, known };
  }
  const template = await findEmailTemplate(
    em,
    input.workspaceId,
    { id: input.templateId, key: input.templateKey },
    input.templateId ? 'templateId' : 'templateKey',
  );
  const known = await knownVariables(em, input.workspaceId, template.dataVariables);
  return {
    content: { subject: template.subject, html: template.html, text: template.text },
    templateId: template.id,
    declared: template.dataVariables,
    known,
  };
}

/** Renders a template for a recipient without writing anything (previews; `sendEmail` records what this returns). */
export async function renderEmail(em: SqlEntityManager, input: RenderEmailInput): Promise<RenderedForRecipient> {
  if (input.prerendered) return prerenderedEmail(em, input);
  const { content, templateId, declared, known } = await contentOf(em, input);
  const contact = input.contactId ? await contactForMerge(em, input.workspaceId, input.contactId) : null;
  if (input.contactId && !contact) throw InputRejected.one('contactId', 'contact not found', ErrorCode.NOT_FOUND);
  const data = checkData(input.data, declared);
  // a contact's stored address is checked too: imports of other systems' data may hold anything
  const to =
    input.to != null && input.to !== ''
      ? checkAddress(input.to, 'to')
      : contact?.primary_email
        ? checkAddress(contact.primary_email, 'to')
        : null;
  const [workspace] = await em.execute<{ name: string }[]>(`select name from workspace where id = ?`, [input.workspaceId]);
  const phones = jsonValue<{ number: string; primary?: boolean }[] | null>(contact?.phones) ?? [];
  const values: MergeValues = {
    contact: {
      firstName: contact?.first_name ?? null,
      lastName: contact?.last_name ?? null,
      name: contact ? [contact.first_name, contact.last_name].filter(Boolean).join(' ') : null,
      email: contact?.primary_email ?? null,
      phone: (phones.find((p) => p.primary) ?? phones[0])?.number ?? null,
      jobTitle: contact?.job_title ?? null,
      lifecycleStage: contact?.lifecycle_stage ?? null,
      custom: customValues(contact?.custom_fields, known.contactCustom),
    },
    company: {
      name: contact?.company_name ?? null,
      domain: contact?.company_domain ?? null,
      custom: customValues(contact?.company_custom, known.companyCustom),
    },
    owner: { name: contact?.owner_name ?? null, email: contact?.owner_email ?? null },
    workspace: { name: workspace?.name ?? null },
    recipient: { email: to },
    data,
  };
  // `{% if company %}` is false without one
  const merge = {
    ...values,
    contact: contact ? values.contact : null,
    company: contact?.has_company ? values.company : null,
    owner: contact?.has_owner ? values.owner : null,
  };
  const rendered = await renderEmailContent(content, merge as unknown as MergeValues);
  return { ...rendered, to, templateId, contactId: contact?.id ?? null };
}

/** Content the caller rendered: checked (sizes, control characters), never parsed as Liquid. */
async function prerenderedEmail(em: SqlEntityManager, input: RenderEmailInput): Promise<RenderedForRecipient> {
  if (input.templateId != null || input.templateKey != null || !input.content)
    throw InputRejected.one('prerendered', 'prerendered needs content (subject and html), not a template');
  if (input.data != null) throw InputRejected.one('data', 'prerendered content has no merge fields: leave data out');
  const rendered = checkPrerendered(input.content);
  // nothing to merge: the contact's id and address are all it needs (a bulk sender calls this per recipient)
  const contact = input.contactId ? await contactAddress(em, input.workspaceId, input.contactId) : null;
  if (input.contactId && !contact) throw InputRejected.one('contactId', 'contact not found', ErrorCode.NOT_FOUND);
  const to =
    input.to != null && input.to !== ''
      ? checkAddress(input.to, 'to')
      : contact?.primary_email
        ? checkAddress(contact.primary_email, 'to')
        : null;
  return { ...rendered, to, templateId: null, contactId: contact?.id ?? null };
}

// ---------------------------------------------------------------------------------------------------------------
// sending

export interface SendEmailInput extends RenderEmailInput {
  /** The member (or plugin's acting user) who sends it; null for automation without one. */
  actorId?: string | null;
  cc?: string[] | null;
  /** What caused it, e.g. `automation:<runId>`, `ticket:<id>` (at most 200 printable characters). */
  source?: string | null;
  /**
   * Extra headers: `List-Unsubscribe`, `List-Unsubscribe-Post`, `List-Id`, `Precedence`, `Feedback-ID` and `X-…`
   * (values of one line, at most 2,000 characters). Stored with the message and sent with it.
   */
  headers?: Record<string, string> | null;
  /** The sender, `Name <address>` or an address (default: MAIL_FROM). */
  from?: string | null;
}

/**
 * Renders and records one email (status `queued`), puts it on the contact's timeline and asks the app's scheduler
 * (the job queue) to deliver it — all in `em`'s transaction, so a rollback leaves neither message nor job. Bad input
 * throws `InputRejected` (typed user errors) before anything is written.
 */
export async function sendEmail(em: SqlEntityManager, input: SendEmailInput): Promise<EmailMessage> {
  const workspaceId = input.workspaceId;
  if (typeof workspaceId !== 'string' || !UUID.test(workspaceId)) throw new Error('sendEmail needs a workspaceId');
  const source = input.source == null ? null : String(input.source);
  if (source !== null && (!source || source.length > 200 || hasControlCharacter(source)))
    throw InputRejected.one('source', 'must be 1–200 characters without control characters');
  const cc = (input.cc ?? []).map((a, i) => checkAddress(a, `cc.${i}`));
  if (cc.length > MAX_CC) throw InputRejected.one('cc', `at most ${MAX_CC} addresses`);
  const headers = checkHeaders(input.headers);
  const from = input.from == null ? emailSettingsOf(em).mail.MAIL_FROM : checkFrom(input.from);
  const rendered = await renderEmail(em, input);
  if (!rendered.to) throw InputRejected.one('to', 'give an address: the contact has no email address');
  const actorId = input.actorId && UUID.test(input.actorId) ? input.actorId : null;
  const message = em.create(EmailMessage, {
    id: randomUUID(),
    workspaceId,
    templateId: rendered.templateId,
    toAddress: rendered.to,
    cc,
    fromAddress: from,
    headers,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    contactId: rendered.contactId,
    actorId,
    source,
  });
  if (rendered.contactId) {
    const entry = em.create(TimelineEvent, {
      workspaceId,
      entryType: EMAIL_TIMELINE_ENTRY,
      title: rendered.subject.slice(0, 500),
      body: rendered.text.slice(0, 2000),
      data: { messageId: message.id, to: rendered.to, templateId: rendered.templateId, source },
      occurredAt: message.createdAt,
      actorId,
    });
    linkEntry(em, workspaceId, { kind: TimelineEntryKind.EVENT, id: entry.id, type: EMAIL_TIMELINE_ENTRY, occurredAt: entry.occurredAt }, [
      { type: 'Contact', id: rendered.contactId },
    ]);
  }
  await em.flush();
  const schedule = lookupInApp(em, SCHEDULER_SLOT)?.schedule;
  if (schedule) await schedule(em, { workspaceId, messageId: message.id });
  return message;
}

// ---------------------------------------------------------------------------------------------------------------
// delivery

export interface DeliveryOutcome {
  /** `retry`: call again later (the queue's back-off); `skipped`: nothing to do (unknown, already sent or failed). */
  outcome: 'sent' | 'retry' | 'failed' | 'skipped';
  attempts?: number;
  error?: string;
}

interface ClaimedRow {
  id: string;
  to_address: string;
  cc: unknown;
  from_address: string;
  headers: unknown;
  subject: string;
  html: string;
  text: string;
  attempts: number;
  contact_id: string | null;
  template_id: string | null;
  source: string | null;
}

const textArray = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string' && value.length > 2
      ? value
          .slice(1, -1)
          .split(',')
          .map((s) => s.replace(/^"(.*)"$/, '$1'))
      : [];

/**
 * One delivery attempt of a queued message, for the job queue: counts the attempt, sends over SMTP outside any
 * transaction, then marks the message `sent` (sent_at, provider id; `email.sent`) or, when the server refused it for
 * good (5xx) or the attempts are used up, `failed` (`email.failed`); a temporary failure keeps it `queued` with its
 * error and answers `retry`.
 */
export async function deliverEmailMessage(orm: Orm, job: { workspaceId: string; messageId: string }, now: Date): Promise<DeliveryOutcome> {
  const { workspaceId, messageId } = job;
  if (!UUID.test(String(workspaceId)) || !UUID.test(String(messageId))) return { outcome: 'skipped' };
  const claimed = await withWorkspace(orm, workspaceId, async (em) => {
    const [row] = await em.execute<ClaimedRow[]>(
      `update email_message set attempts = attempts + 1, updated_at = ? where id = ? and workspace_id = ? and status = 'queued'
        returning id, to_address, cc, from_address, headers, subject, html, text, attempts, contact_id, template_id, source`,
      [now.toISOString(), messageId, workspaceId],
    );
    return row ?? null;
  });
  if (!claimed) return { outcome: 'skipped' };
  const attempts = Number(claimed.attempts);
  const settings = emailSettingsOf(orm);
  let providerMessageId: string | null = null;
  let failure: MailError | null = null;
  try {
    ({ messageId: providerMessageId } = await sendMail(settings.mail, settings.logger, {
      to: claimed.to_address,
      cc: textArray(claimed.cc),
      from: claimed.from_address,
      headers: jsonValue<Record<string, string> | null>(claimed.headers) ?? {},
      subject: claimed.subject,
      html: claimed.html,
      text: claimed.text,
    }));
  } catch (error) {
    failure = error instanceof MailError ? error : new MailError(String((error as Error)?.message ?? error), false, null);
  }
  const payload: EmailDelivered = {
    id: messageId,
    to: claimed.to_address,
    subject: claimed.subject,
    contactId: claimed.contact_id,
    templateId: claimed.template_id,
    source: claimed.source,
    attempts,
  };
  return withWorkspace(orm, workspaceId, async (em): Promise<DeliveryOutcome> => {
    if (!failure) {
      await em.execute(
        `update email_message set status = 'sent', sent_at = ?, provider_message_id = ?, last_error = null, updated_at = ? where id = ? and workspace_id = ?`,
        [now.toISOString(), providerMessageId?.slice(0, 998) ?? null, now.toISOString(), messageId, workspaceId],
      );
      await emitEvent(em, emailSent, { ...payload, providerMessageId }, { workspaceId });
      return { outcome: 'sent', attempts };
    }
    const giveUp = failure.permanent || attempts >= MAX_EMAIL_ATTEMPTS;
    await em.execute(`update email_message set status = ?, last_error = ?, updated_at = ? where id = ? and workspace_id = ?`, [
      giveUp ? 'failed' : 'queued',
      failure.message,
      now.toISOString(),
      messageId,
      workspaceId,
    ]);
    if (giveUp)
      await emitEvent(
        em,
        emailFailed,
        { ...payload, error: failure.message, permanent: failure.permanent, responseCode: failure.responseCode },
        { workspaceId },
      );
    return { outcome: giveUp ? 'failed' : 'retry', attempts, error: failure.message };
  });
}
