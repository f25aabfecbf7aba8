import { z } from 'zod';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode } from '../../graphql/errors.js';
import { parseGlobalId, toGlobalId } from '../../graphql/global-id.js';
import { sql } from '../../db/sql.js';
import { EmailTemplate } from '../email/email.entities.js';
import { sendEmail as sendEmailMessage } from '../email/email.service.js';
import { notify as notifyUsers } from '../notifications/notifications.service.js';
import type { ActionContext, AutomationAction } from './catalog.js';
import { checkTextTemplate, renderTextTemplate } from './templates.js';
import { rawIdOf, rejectStep } from './step-errors.js';

/** Email and in-app notifications from automation: through the kernel's email and notification services. */

/** The contact an email goes to: the record itself when it is a contact, else the related one `contactRelation` names. */
function contactOf(context: ActionContext<{ contactRelation?: string }>): string | null {
  const record = context.record;
  if (!record) return null;
  if (record.type.name === 'Contact' && !context.params.contactRelation) return record.id;
  const relation = record.type.related?.[context.params.contactRelation ?? ''];
  return relation ? rawIdOf(record.facts[relation.idField]) : null;
}

const sendEmailParams = z.strictObject({
  /** A template of the workspace, by key. */
  templateKey: z.string().min(1).max(100),
  /** For records other than contacts: the related contact to write to (`primaryContact` of a deal). */
  contactRelation: z.string().max(60).optional(),
  /** Values of the template's `data.*` variables. */
  data: z.record(z.string().max(100), z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()])).optional(),
});

const sendEmail: AutomationAction<z.infer<typeof sendEmailParams>> = {
  type: 'sendEmail',
  description:
    'Sends an email from a template (merge fields of the contact, its company and owner) to the contact, over SMTP; recorded and on the contact’s timeline.',
  params: sendEmailParams,
  async validate({ params, recordType, ctx, path }) {
    const template = await ctx.em.findOne(EmailTemplate, { workspaceId: workspaceOf(ctx), key: params.templateKey });
    if (!template) rejectStep(`${path}.templateKey`, `no email template with key ${params.templateKey}`, ErrorCode.NOT_FOUND);
    const related = params.contactRelation ? recordType?.related?.[params.contactRelation] : undefined;
    if (params.contactRelation ? related?.recordType !== 'Contact' : recordType?.name !== 'Contact')
      rejectStep(
        `${path}.${params.contactRelation ? 'contactRelation' : 'templateKey'}`,
        params.contactRelation
          ? `${recordType?.name ?? 'this rule'} has no related contact ${params.contactRelation}`
          : 'emails go to a contact: use this on contact rules, or name the related contact (contactRelation)',
      );
  },
  async run(context) {
    const contactId = contactOf(context);
    if (!contactId) rejectStep(`${context.path}.contactRelation`, 'the record has no contact to write to');
    const message = await sendEmailMessage(context.ctx.em, {
      workspaceId: context.workspaceId,
      templateKey: context.params.templateKey,
      contactId,
      data: context.params.data ?? null,
      actorId: context.ctx.principal.userId,
      source: `automation:${context.run.id}`,
    });
    return { messageId: toGlobalId('EmailMessage', message.id), to: message.toAddress };
  },
};

/** Who a notification is for: the record's owner, the rule's owner, members, a team's members. */
const recipient = z.union([
  z.literal('recordOwner'),
  z.literal('ruleOwner'),
  z.string().refine((v) => ['User', 'Team'].includes(parseGlobalId(v)?.type ?? ''), { message: 'a user or team id' }),
]);

const notifyParams = z.strictObject({
  to: z.array(recipient).min(1).max(50),
  title: z.string().trim().min(1).max(500),
  body: z.string().max(10_000).optional(),
});

async function recipients(context: ActionContext<z.infer<typeof notifyParams>>): Promise<string[]> {
  const ids = new Set<string>();
  for (const who of context.params.to) {
    if (who === 'recordOwner') {
      const owner = rawIdOf(context.record?.facts.ownerId);
      if (owner) ids.add(owner);
    } else if (who === 'ruleOwner') {
      if (context.ctx.principal.userId) ids.add(context.ctx.principal.userId);
    } else {
      const { type, id } = parseGlobalId(who)!;
      if (type === 'User') ids.add(id);
      else {
        const q = sql`select user_id from team_member where workspace_id = ${context.workspaceId} and team_id = ${id}`;
        for (const row of await context.ctx.em.execute<{ user_id: string }[]>(q.text, q.params)) ids.add(String(row.user_id));
      }
    }
  }
  return [...ids];
}

const notify: AutomationAction<z.infer<typeof notifyParams>> = {
  type: 'notify',
  description:
    'Sends an in-app notification (type `automation.notify`; email or digest as each member prefers) to the record’s owner, the rule’s owner, members or teams.',
  params: notifyParams,
  async validate({ params, recordType, path }) {
    checkTextTemplate(params.title, recordType, `${path}.title`);
    if (params.body !== undefined) checkTextTemplate(params.body, recordType, `${path}.body`);
    if (!recordType && params.to.includes('recordOwner')) rejectStep(`${path}.to`, 'this rule has no record, so no record owner');
  },
  async run(context) {
    const values = { record: context.record?.facts ?? null, ruleName: context.rule.name };
    const userIds = await recipients(context);
    const sent = await notifyUsers(context.ctx.em, {
      workspaceId: context.workspaceId,
      userIds,
      type: 'automation.notify',
      title: (await renderTextTemplate(context.params.title, values)).slice(0, 500) || context.params.title,
      body: context.params.body === undefined ? null : await renderTextTemplate(context.params.body, values),
      record: context.record ? { type: context.record.type.name, id: context.record.id } : null,
      data: { ruleId: toGlobalId('AutomationRule', context.rule.id), runId: toGlobalId('AutomationRun', context.run.id) },
    });
    return { notified: sent };
  },
};

export const messagingActions: AutomationAction[] = [sendEmail, notify];
