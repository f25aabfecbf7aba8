import { EmailSuppression, PrivacyErasure } from '../core/privacy/privacy.entities.js';
import { Workspace } from '../core/workspaces/workspace.entity.js';
import { User } from '../core/identity/user.entity.js';
import { Membership, Team, TeamMember } from '../core/identity/membership.entity.js';
import { Tag } from '../core/tags/tag.entity.js';
import { Company } from '../core/customers/company.entity.js';
import { Contact } from '../core/customers/contact.entity.js';
import { ConsentChange } from '../core/consent/consent-change.entity.js';
import { Activity } from '../core/activities/activity.entity.js';
import { TimelineLink } from '../core/timeline/timeline-link.entity.js';
import { TimelineEvent } from '../core/timeline/timeline-event.entity.js';
import { Comment } from '../core/comments/comment.entity.js';
import { CustomFieldDefinition } from '../core/custom-fields/custom-field-definition.entity.js';
import { ImportJob, ImportRowError } from '../core/import-export/import-job.entity.js';
import { IdempotencyRecord } from '../core/idempotency/idempotency-record.entity.js';
import { CustomRole } from '../core/roles/role.entity.js';
import { ApiKey, AuthSession, RefreshToken } from '../core/auth/auth.entities.js';
import { Invitation } from '../core/workspace-admin/invitation.entity.js';
import { AuditEntry } from '../core/audit/audit-entry.entity.js';
import { Integration, IntegrationReceipt } from '../core/integrations/integration.entity.js';
import { OutboxDelivery, OutboxEvent, ProcessedEvent } from '../events/outbox.entities.js';
import { WorkspaceModule } from '../plugin-host/modules/workspace-module.entity.js';
import { InstalledPlugin } from '../plugin-host/modules/installed-plugin.entity.js';
import { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../core/webhooks/webhook.entities.js';
import {
  AutomationDefaultRule,
  AutomationRule,
  AutomationRuleState,
  AutomationRuleVersion,
  AutomationRun,
  AutomationRunStep,
} from '../core/automation/automation.entities.js';
import { EmailMessage, EmailTemplate } from '../core/email/email.entities.js';
import {
  Notification,
  NotificationPreference,
  NotificationUserSetting,
  NotificationWorkspaceSetting,
} from '../core/notifications/notification.entities.js';

export const kernelEntities = [
  Workspace,
  User,
  Membership,
  Team,
  TeamMember,
  Tag,
  Company,
  Contact,
  ConsentChange,
  Activity,
  TimelineLink,
  TimelineEvent,
  Comment,
  CustomFieldDefinition,
  ImportJob,
  ImportRowError,
  IdempotencyRecord,
  CustomRole,
  AuthSession,
  RefreshToken,
  ApiKey,
  Invitation,
  AuditEntry,
  OutboxEvent,
  OutboxDelivery,
  ProcessedEvent,
  Integration,
  IntegrationReceipt,
  WorkspaceModule,
  InstalledPlugin,
  WebhookEndpoint,
  WebhookDelivery,
  WebhookAttempt,
  AutomationRule,
  AutomationRuleVersion,
  AutomationRun,
  AutomationRunStep,
  AutomationRuleState,
  AutomationDefaultRule,
  EmailTemplate,
  EmailMessage,
  Notification,
  NotificationPreference,
  NotificationUserSetting,
  NotificationWorkspaceSetting,
  EmailSuppression,
  PrivacyErasure,
];
