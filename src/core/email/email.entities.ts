import type { Opt } from '@mikro-orm/core';
import { Entity, Index, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';

/**
 * A transactional email template of a workspace (`email:manage`): subject, HTML and (optional) text, all Liquid with
 * merge fields (render.ts). Checked on every save: syntax and every variable against the known set.
 */
@Entity({ tableName: 'email_template' })
@TenantFilter()
@Unique({ name: 'email_template_workspace_key_unique', properties: ['workspaceId', 'key'] })
export class EmailTemplate extends TenantEntity {
  /** A slug callers name the template by (`welcome`, `ticket-answered`), unique in the workspace. */
  @Property({ type: 'string', length: 64 })
  key!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'text' })
  subject!: string;

  @Property({ type: 'text' })
  html!: string;

  /** Null: the text part is derived from the rendered HTML. */
  @Property({ type: 'text', nullable: true })
  text?: string | null;

  /** The `data.*` variables callers supply (declared, so that a misspelt one is refused on save). */
  @Property({ type: 'text[]' })
  dataVariables: Opt<string[]> = [];

  @Property({ type: 'uuid', nullable: true })
  createdBy?: string | null;

  @Property({ type: 'integer', version: true })
  version!: Opt<number>;
}

export type EmailStatus = 'queued' | 'sent' | 'failed';

/**
 * One email as rendered and sent (or to be sent): every send is recorded here, and on the contact's timeline.
 * status: `queued` → `sent` | `failed` (the queue retries a failure until it gives up; `attempts` counts them).
 */
@Entity({ tableName: 'email_message' })
@TenantFilter()
@Index({ name: 'email_message_workspace_created_idx', properties: ['workspaceId', 'createdAt'] })
@Index({ name: 'email_message_contact_idx', properties: ['workspaceId', 'contactId', 'createdAt'] })
export class EmailMessage extends TenantEntity {
  @Property({ type: 'uuid', nullable: true })
  templateId?: string | null;

  @Property({ type: 'string', length: 320 })
  toAddress!: string;

  @Property({ type: 'text[]' })
  cc: Opt<string[]> = [];

  @Property({ type: 'string', length: 400 })
  fromAddress!: string;

  /** Extra message headers (`List-Unsubscribe`, `X-…`: the allowlist of `sendEmail`), by name. */
  @Property({ type: 'json', defaultRaw: `'{}'` })
  headers: Opt<Record<string, string>> = {};

  @Property({ type: 'text' })
  subject!: string;

  @Property({ type: 'text' })
  html!: string;

  @Property({ type: 'text' })
  text!: string;

  @Property({ type: 'uuid', nullable: true })
  contactId?: string | null;

  @Property({ type: 'string', length: 16, default: 'queued' })
  status: Opt<EmailStatus> = 'queued';

  @Property({ type: 'integer', default: 0 })
  attempts: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  /** The SMTP server's Message-ID. */
  @Property({ type: 'string', length: 998, nullable: true })
  providerMessageId?: string | null;

  @Property({ type: 'datetime', nullable: true })
  sentAt?: Date | null;

  /** The user who sent it (null: automation, a plugin without a user). */
  @Property({ type: 'uuid', nullable: true })
  actorId?: string | null;

  /** What caused the send, e.g. `automation:<runId>`, `ticket:<id>`; null for a member's own send. */
  @Property({ type: 'string', length: 200, nullable: true })
  source?: string | null;
}
