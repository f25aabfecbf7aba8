import { allow, or } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { requires } from '../../graphql/shield/rules.js';

const manage = requires('email:manage');
const send = requires('email:send');
/** Senders pick and preview templates; managers write them. */
const manageOrSend = or(manage, send);

/** Who may write email templates (`email:manage`) and send email (`email:send`). */
export const emailRules: RuleDeclarations = {
  Query: {
    emailTemplates: manageOrSend,
    emailTemplate: manageOrSend,
    previewEmailTemplate: manageOrSend,
    emailMessages: send,
  },
  Mutation: {
    createEmailTemplate: manage,
    updateEmailTemplate: manage,
    deleteEmailTemplate: manage,
    sendEmail: send,
  },
  types: {
    EmailTemplate: { '*': allow },
    EmailTemplateConnection: { '*': allow },
    EmailTemplateEdge: { '*': allow },
    EmailMessage: { '*': allow },
    EmailMessageConnection: { '*': allow },
    EmailMessageEdge: { '*': allow },
    EmailPreview: { '*': allow },
    EmailTemplatePayload: { '*': allow },
    PreviewEmailTemplatePayload: { '*': allow },
    SendEmailPayload: { '*': allow },
  },
};
