import type { FieldChange } from '../db/change-sets.js';
import { defineEvent, type EventType } from './event-type.js';

/**
 * The kernel's domain events as typed tokens (payloads as DomainEventSubscriber builds them: raw uuids, column
 * values as stored). A plugin subscribes with them — `subscribe(activityLogged, { name, handle })` — and its handler
 * sees the payload's type.
 */

export interface RecordUpdated {
  id: string;
  changedFields: string[];
  changes: Record<string, FieldChange>;
}

export interface RecordRef {
  id: string;
}

export interface RecordMerged {
  id: string;
  /** The record it was merged into (the survivor). */
  mergedIntoId: string;
}

export interface LifecycleChanged {
  id: string;
  before: string | null;
  after: string | null;
}

export interface TaskCompleted {
  id: string;
  subject: string | null;
  completedAt: string;
}

/** A webhook endpoint disabled after failing for days (src/core/webhooks): for notifying the workspace's admins. */
export interface WebhookEndpointDisabled {
  /** The endpoint's id (raw uuid). */
  id: string;
  url: string;
  /** The first failed attempt since the last success. */
  failingSince: string;
  disabledAt: string;
  reason: string;
}

/** Created, purged and logged events carry the record's fields under its own key. */
export type ContactFields = { id: string; contact: Record<string, unknown> };
export type CompanyFields = { id: string; company: Record<string, unknown> };
export type ActivityFields = { id: string; activity: Record<string, unknown> };

export const contactCreated = defineEvent<ContactFields>('contact.created');
export const contactUpdated = defineEvent<RecordUpdated>('contact.updated');
export const contactLifecycleChanged = defineEvent<LifecycleChanged>('contact.lifecycleChanged');
/** A contact's tags changed (tag ids, raw uuids): `contact.updated` does not carry tags, which live beside the row. */
export interface TagsChanged {
  id: string;
  added: string[];
  removed: string[];
}
export const contactTagsChanged = defineEvent<TagsChanged>('contact.tagsChanged');
export const contactDeleted = defineEvent<RecordRef>('contact.deleted');
export const contactRestored = defineEvent<RecordRef>('contact.restored');
export const contactMerged = defineEvent<RecordMerged>('contact.merged');
export const contactPurged = defineEvent<ContactFields>('contact.purged');
export const companyCreated = defineEvent<CompanyFields>('company.created');
export const companyUpdated = defineEvent<RecordUpdated>('company.updated');
export const companyDeleted = defineEvent<RecordRef>('company.deleted');
export const companyRestored = defineEvent<RecordRef>('company.restored');
export const companyMerged = defineEvent<RecordMerged>('company.merged');
export const companyPurged = defineEvent<CompanyFields>('company.purged');
export const activityLogged = defineEvent<ActivityFields>('activity.logged');
export const activityUpdated = defineEvent<RecordUpdated>('activity.updated');
export const activityDeleted = defineEvent<ActivityFields>('activity.deleted');
export const taskCompleted = defineEvent<TaskCompleted>('task.completed');
export const webhookEndpointDisabled = defineEvent<WebhookEndpointDisabled>('webhook.endpointDisabled');

/** A post of an inbound integration (`POST /hooks/in/<token>`). */
export interface IntegrationReceived {
  /** The integration's name, e.g. `shop`. */
  integration: string;
  integrationId: string;
  /** The posted JSON. */
  body: unknown;
}
export const integrationReceived = defineEvent<IntegrationReceived>('integration.received');

/**
 * An automation rule's `callWebhook` step: posted to the one endpoint the step names (not fanned out to others).
 * The record's fields sit under its event prefix (`contact: {…}`), filtered by the endpoint's role like every payload.
 */
export interface AutomationWebhook {
  ruleId: string;
  rule: string;
  runId: string;
  recordType: string | null;
  id: string | null;
  data: Record<string, unknown>;
  [recordKey: string]: unknown;
}
export const automationWebhook = defineEvent<AutomationWebhook>('automation.webhook');

/** A transactional email accepted by the SMTP server, or given up on (src/core/email). */
export interface EmailDelivered {
  /** The email_message's id (raw uuid). */
  id: string;
  to: string;
  subject: string;
  contactId: string | null;
  templateId: string | null;
  source: string | null;
  attempts: number;
  /** email.sent: the SMTP server's Message-ID (null when SMTP is not configured and the message was logged). */
  providerMessageId?: string | null;
  /** email.failed: why. */
  error?: string;
}
export const emailSent = defineEvent<EmailDelivered>('email.sent');
export const emailFailed = defineEvent<EmailDelivered>('email.failed');
/** A comment posted (`comment.created`) or edited (`comment.edited`: `mentionedUserIds` are those the edit added). */
export interface CommentPosted {
  id: string;
  activityId: string;
  authorId: string | null;
  mentionedUserIds: string[];
}
export const commentCreated = defineEvent<CommentPosted>('comment.created');
export const commentEdited = defineEvent<CommentPosted>('comment.edited');

/** Notifications created by one `notify` call (src/core/notifications): feeds `Subscription.notificationAdded`. */
export interface NotificationsCreated {
  type: string;
  recipients: { id: string; userId: string }[];
}
export const notificationCreated = defineEvent<NotificationsCreated>('notification.created');

/**
 * A contact's personal data was erased (src/core/privacy): no values, only which contact and how — for downstream
 * systems (webhook receivers) to erase their copies too.
 */
export interface PersonalDataErased {
  id: string;
  /** `ANONYMIZE` (the record stays, without the person) or `DELETE` (it is gone). */
  mode: string;
}
export const contactPersonalDataErased = defineEvent<PersonalDataErased>('contact.personalDataErased');

export const KERNEL_EVENTS: readonly EventType<object>[] = [
  contactCreated,
  contactUpdated,
  contactLifecycleChanged,
  contactTagsChanged,
  contactDeleted,
  contactRestored,
  contactMerged,
  contactPurged,
  contactPersonalDataErased,
  companyCreated,
  companyUpdated,
  companyDeleted,
  companyRestored,
  companyMerged,
  companyPurged,
  activityLogged,
  activityUpdated,
  activityDeleted,
  taskCompleted,
  integrationReceived,
  webhookEndpointDisabled,
  automationWebhook,
  emailSent,
  emailFailed,
  commentCreated,
  commentEdited,
  notificationCreated,
];
