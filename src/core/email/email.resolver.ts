import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId, parseGlobalId, toGlobalId } from '../../graphql/global-id.js';
import { keysetPage } from '../../graphql/keyset-page.js';
import { ConnectionArgs, pageRequest, toConnection } from '../../graphql/relay.js';
import { Sql, sql } from '../../db/sql.js';
import { recordAuditAs } from '../audit/audit-log.js';
import { CONTACT_SCOPE, readable, readScopeSql } from '../customers/record-scope.js';
import { DeletePayload } from '../shared/delete-payload.js';
import { asUserErrors, runMutation } from '../shared/mutation.js';
import { EmailMessage, EmailTemplate } from './email.entities.js';
import {
  createEmailTemplate,
  findEmailTemplate,
  renderEmail,
  sendEmail,
  updateEmailTemplate,
  type RenderEmailInput,
} from './email.service.js';
import { mergeFieldsUsed, type EmailContent } from './render.js';
import {
  CreateEmailTemplateInput,
  EmailMessageConnection,
  EmailMessageNode,
  EmailMessagesArgs,
  EmailMessageStatus,
  EmailTemplateConnection,
  EmailTemplateNode,
  EmailTemplatePayload,
  PreviewEmailTemplateInput,
  PreviewEmailTemplatePayload,
  SendEmailInput,
  SendEmailPayload,
  UpdateEmailTemplateInput,
} from './email.types.js';
import { dateValue } from '../../db/column-values.js';

const textArray = (v: unknown): string[] =>
  Array.isArray(v)
    ? v.map(String)
    : typeof v === 'string' && v.length > 2
      ? v
          .slice(1, -1)
          .split(',')
          .map((s) => s.replace(/^"(.*)"$/, '$1'))
      : [];

function toTemplateNode(t: EmailTemplate | Record<string, unknown>): EmailTemplateNode {
  const e = t as Record<string, unknown>;
  const id = String(e.id);
  return Object.assign(new EmailTemplateNode(), {
    rawId: id,
    id: toGlobalId('EmailTemplate', id),
    key: String(e.key),
    name: String(e.name),
    subject: String(e.subject),
    html: String(e.html),
    text: (e.text as string | null) ?? null,
    dataVariables: textArray(e.dataVariables ?? e.data_variables),
    version: Number(e.version),
    createdAt: dateValue(e.createdAt ?? e.created_at),
    updatedAt: dateValue(e.updatedAt ?? e.updated_at),
  });
}

function toMessageNode(m: EmailMessage | Record<string, unknown>): EmailMessageNode {
  const e = m as Record<string, unknown>;
  const pick = (camel: string, snake: string) => (e[camel] !== undefined ? e[camel] : e[snake]);
  const id = String(e.id);
  const templateId = pick('templateId', 'template_id') as string | null;
  const contactId = pick('contactId', 'contact_id') as string | null;
  const sentAt = pick('sentAt', 'sent_at');
  return Object.assign(new EmailMessageNode(), {
    rawId: id,
    rawContactId: contactId ?? null,
    id: toGlobalId('EmailMessage', id),
    templateId: templateId ? toGlobalId('EmailTemplate', templateId) : null,
    to: String(pick('toAddress', 'to_address')),
    cc: textArray(e.cc),
    from: String(pick('fromAddress', 'from_address')),
    subject: String(e.subject),
    html: String(e.html),
    text: String(e.text),
    contactId: contactId ? toGlobalId('Contact', contactId) : null,
    status: String(e.status) as EmailMessageStatus,
    attempts: Number(e.attempts),
    lastError: (pick('lastError', 'last_error') as string | null) ?? null,
    providerMessageId: (pick('providerMessageId', 'provider_message_id') as string | null) ?? null,
    sentAt: sentAt == null ? null : dateValue(sentAt),
    source: (e.source as string | null) ?? null,
    createdAt: dateValue(pick('createdAt', 'created_at')),
  });
}

const TEMPLATE_COLUMNS = 't.id, t.key, t.name, t.subject, t.html, t.text, t.data_variables, t.version, t.created_at, t.updated_at';
const MESSAGE_COLUMNS =
  'm.id, m.template_id, m.to_address, m.cc, m.from_address, m.subject, m.html, m.text, m.contact_id, m.status, m.attempts, m.last_error, m.provider_message_id, m.sent_at, m.source, m.created_at';

/** Protected fields each merge field reads (a caller who may not see them may not render them either). */
const PROTECTED_BY_MERGE_FIELD: Record<string, [string, string]> = {
  'contact.email': ['Contact', 'primaryEmail'],
  'contact.phone': ['Contact', 'phones'],
  'contact.custom': ['Contact', 'customFields'],
  'company.custom': ['Company', 'customFields'],
};

/**
 * The request's input as the service takes it, after the checks only a request has: the contact must be in the
 * caller's read scope, and the merge fields (and a default recipient) must not read fields hidden from the caller.
 */
async function renderInput(
  ctx: RequestContext,
  input: {
    templateId?: string | null;
    templateKey?: string | null;
    subject?: string | null;
    html?: string | null;
    text?: string | null;
    contactId?: string | null;
    to?: string | null;
    data?: Record<string, unknown> | null;
  },
): Promise<RenderEmailInput> {
  const workspaceId = workspaceOf(ctx);
  const adHoc = input.subject != null || input.html != null || input.text != null;
  const content: EmailContent | null = adHoc ? { subject: input.subject ?? '', html: input.html ?? '', text: input.text ?? null } : null;
  const templateId = input.templateId ? expectGlobalId(input.templateId, 'EmailTemplate', 'templateId') : null;
  const contactId = input.contactId ? expectGlobalId(input.contactId, 'Contact', 'contactId') : null;
  if (contactId && !(await readable(ctx, 'Contact').load(contactId)))
    throw InputRejected.one('contactId', 'contact not found', ErrorCode.NOT_FOUND);
  const result: RenderEmailInput = {
    workspaceId,
    templateId,
    templateKey: input.templateKey ?? null,
    content,
    contactId,
    to: input.to ?? null,
    data: input.data ?? null,
  };
  let used: string[] = [];
  if (content) {
    // syntax problems are reported by the service, with every other problem of the content
    try {
      used = mergeFieldsUsed(content);
    } catch {
      used = [];
    }
  } else if (templateId || input.templateKey) {
    const template = await findEmailTemplate(
      ctx.em,
      workspaceId,
      { id: templateId, key: input.templateKey },
      templateId ? 'templateId' : 'templateKey',
    );
    used = mergeFieldsUsed(template);
  }
  if (contactId && !input.to) used.push('contact.email');
  const hidden = [...new Set(used.map((f) => PROTECTED_BY_MERGE_FIELD[f]).filter((p): p is [string, string] => !!p))].filter(
    ([type, field]) => !ctx.principal.access.canSeeField(type, field),
  );
  if (hidden.length)
    throw InputRejected.one(
      contactId && !input.to && hidden.some(([t, f]) => t === 'Contact' && f === 'primaryEmail') ? 'to' : 'template',
      `uses fields hidden from you: ${[...new Set(hidden.map(([t, f]) => `${t}.${f}`))].join(', ')}`,
      ErrorCode.FORBIDDEN,
    );
  return result;
}

@Resolver()
export class EmailResolver {
  @Query(() => EmailTemplateConnection, { description: 'The workspace’s email templates, by key. Needs `email:manage` or `email:send`.' })
  async emailTemplates(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    const result = await keysetPage(
      ctx.em,
      {
        from: 'email_template t',
        select: TEMPLATE_COLUMNS,
        where: sql`t.workspace_id = ${workspaceOf(ctx)}`,
        orderBy: [{ expr: 't.key', direction: 'ASC', nullable: false }],
        idExpr: 't.id',
      },
      pageRequest(page),
      toTemplateNode,
    );
    return toConnection(result);
  }

  @Query(() => EmailTemplateNode, { nullable: true, description: 'One email template (null when there is none with this id).' })
  async emailTemplate(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    const parsed = parseGlobalId(id);
    if (parsed?.type !== 'EmailTemplate') return null;
    const [row] = await ctx.em.execute<Record<string, unknown>[]>(
      `select ${TEMPLATE_COLUMNS} from email_template t where t.id = ? and t.workspace_id = ?`,
      [parsed.id, workspaceOf(ctx)],
    );
    return row ? toTemplateNode(row) : null;
  }

  @Query(() => EmailMessageConnection, {
    description: 'Emails sent from the workspace, newest first (those to contacts outside your read scope left out). Needs `email:send`.',
  })
  async emailMessages(@Args() args: EmailMessagesArgs, @Ctx() ctx: RequestContext) {
    const where: Sql[] = [
      sql`m.workspace_id = ${workspaceOf(ctx)}`,
      sql`(m.contact_id is null or exists (select 1 from contact t where t.id = m.contact_id and t.workspace_id = m.workspace_id and ${readScopeSql(ctx, CONTACT_SCOPE, 't')}))`,
    ];
    if (args.contactId) where.push(sql`m.contact_id = ${expectGlobalId(args.contactId, 'Contact', 'contactId')}`);
    if (args.status?.length)
      where.push(
        sql`m.status in (${Sql.join(
          args.status.map((s) => sql`${s}`),
          ', ',
        )})`,
      );
    const result = await keysetPage(
      ctx.em,
      {
        from: 'email_message m',
        select: MESSAGE_COLUMNS,
        where: Sql.and(where),
        orderBy: [{ expr: 'm.created_at', direction: 'DESC', nullable: false }],
        idExpr: 'm.id',
      },
      pageRequest(args),
      toMessageNode,
    );
    return toConnection(result);
  }

  @Query(() => PreviewEmailTemplatePayload, {
    description:
      'Renders a template (or ad-hoc content) for a contact without sending or writing anything. Needs `email:manage` or `email:send`.',
  })
  async previewEmailTemplate(@Arg('input', () => PreviewEmailTemplateInput) input: PreviewEmailTemplateInput, @Ctx() ctx: RequestContext) {
    try {
      const rendered = await renderEmail(ctx.em, await renderInput(ctx, input));
      return { preview: { to: rendered.to, subject: rendered.subject, html: rendered.html, text: rendered.text }, userErrors: [] };
    } catch (error) {
      const errors = asUserErrors(error);
      if (!errors) throw error;
      return { preview: null, userErrors: errors };
    }
  }

  @Mutation(() => EmailTemplatePayload, {
    description: 'Creates an email template, checked (syntax, merge fields) first. Needs `email:manage`.',
  })
  createEmailTemplate(@Arg('input', () => CreateEmailTemplateInput) input: CreateEmailTemplateInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const template = await createEmailTemplate(tx.em, workspaceOf(tx), tx.principal.userId ?? null, input);
      return { template: toTemplateNode(template) };
    });
  }

  @Mutation(() => EmailTemplatePayload, {
    description: 'Changes an email template (only the fields given; `text: null` derives it from the HTML). Needs `email:manage`.',
  })
  updateEmailTemplate(@Arg('input', () => UpdateEmailTemplateInput) input: UpdateEmailTemplateInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const id = expectGlobalId(input.id, 'EmailTemplate', 'id');
      const { id: _id, ...fields } = input;
      const template = await updateEmailTemplate(tx.em, workspaceOf(tx), id, fields);
      return { template: toTemplateNode(template) };
    });
  }

  @Mutation(() => DeletePayload, { description: 'Deletes an email template (messages sent with it stay). Needs `email:manage`.' })
  deleteEmailTemplate(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const template = await findEmailTemplate(tx.em, workspaceOf(tx), { id: expectGlobalId(id, 'EmailTemplate', 'id') }, 'id');
      tx.em.remove(template);
      await tx.em.flush();
      return { deletedId: id };
    });
  }

  @Mutation(() => SendEmailPayload, {
    description:
      'Renders and sends an email (a template, or ad-hoc subject/html) to a contact or an address: recorded, on the contact’s timeline, delivered by the job queue. Needs `email:send`.',
  })
  sendEmail(@Arg('input', () => SendEmailInput) input: SendEmailInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const rendered = await renderInput(tx, input);
      const message = await sendEmail(tx.em, { ...rendered, cc: input.cc ?? null, actorId: tx.principal.userId ?? null });
      await recordAuditAs(tx, {
        action: 'emailMessage.sent',
        objectType: 'EmailMessage',
        objectId: message.id,
        metadata: { to: message.toAddress, templateId: message.templateId ?? null },
      });
      return { message: toMessageNode(message) };
    });
  }
}

export const emailResolvers = [EmailResolver] as const;
