import { JobRun } from '../plugin-host/jobs/job-run.entity.js';
import { Workspace } from './workspaces/workspace.entity.js';
import { User } from './identity/user.entity.js';
import { Membership, Team, TeamMember } from './identity/membership.entity.js';
import { Tag } from './tags/tag.entity.js';
import { Company } from './customers/company.entity.js';
import { Contact } from './customers/contact.entity.js';
import { Activity } from './activities/activity.entity.js';
import { TimelineLink } from './timeline/timeline-link.entity.js';
import { TimelineEvent } from './timeline/timeline-event.entity.js';
import { Comment } from './comments/comment.entity.js';
import { CustomFieldDefinition } from './custom-fields/custom-field-definition.entity.js';
import { ImportJob, ImportRowError } from './import-export/import-job.entity.js';
import { IdempotencyRecord } from './idempotency/idempotency-record.entity.js';
import { CustomRole } from './permissions/role.entity.js';
import { ApiKey, AuthSession, RefreshToken } from './auth/auth.entities.js';
import { Invitation } from './workspace-admin/invitation.entity.js';
import { AuditEntry } from './audit/audit-entry.entity.js';
import { OutboxDelivery, OutboxEvent } from '../events/outbox.entities.js';
import { WorkspaceModule } from '../plugin-host/modules/workspace-module.entity.js';
import { InstalledPlugin } from '../plugin-host/modules/installed-plugin.entity.js';

export const kernelEntities = [
  Workspace,
  User,
  Membership,
  Team,
  TeamMember,
  Tag,
  Company,
  Contact,
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
  WorkspaceModule,
  InstalledPlugin,
  JobRun,
];
