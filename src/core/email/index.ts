/**
 * Transactional email (README.md beside this file). What the rest of the kernel, plugins and the job queue call:
 *
 * - `sendEmail(em, input)`: renders, records (`queued`), puts it on the contact's timeline, schedules delivery.
 * - `renderEmail(em, input)`: the same rendering without writing (previews).
 * - `deliverEmailMessage(orm, { workspaceId, messageId }, now)`: one SMTP attempt → `{ outcome: sent | retry | failed | skipped }`.
 * - `setEmailDeliveryScheduler(orm, fn)`: the queue enqueues a delivery job in the transaction that records the message.
 */
export {
  createEmailTemplate,
  deliverEmailMessage,
  findEmailTemplate,
  renderEmail,
  sendEmail,
  setEmailDeliveryScheduler,
  updateEmailTemplate,
  EMAIL_TIMELINE_ENTRY,
  MAX_EMAIL_ATTEMPTS,
  type DeliveryOutcome,
  type EmailDeliveryScheduler,
  type QueuedEmail,
  type RenderEmailInput,
  type RenderedForRecipient,
  type SendEmailInput,
} from './email.service.js';
export { MERGE_FIELDS, type EmailContent, type RenderedEmail } from './render.js';
export { attachEmailSettings, emailSettingsOf, type EmailSettings } from './settings.js';
export { sendMail, MailError, type MailMessage, type MailResult } from './transport.js';
export { EmailMessage, EmailTemplate } from './email.entities.js';
export { ALLOWED_HEADERS } from './message-options.js';
