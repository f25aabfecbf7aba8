import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantFilter } from '../shared/tenant-entity.js';
import { Workspace } from '../workspaces/workspace.entity.js';

/**
 * An email address erased at its owner's request, as a hash (see suppression.ts): imports, contact writes and
 * plugins (`isEmailSuppressed`) refuse it, so the person does not come back. Holds no address.
 */
@Entity({ tableName: 'email_suppression' })
@TenantFilter()
export class EmailSuppression {
  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, primary: true, deleteRule: 'cascade' })
  workspaceId!: string;

  /** hex sha256 of `<workspace id>:<lower-cased, trimmed address>`. */
  @PrimaryKey({ type: 'string', length: 64 })
  emailHash!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/**
 * That a contact's personal data was erased: who, when, how, and the row counts per section — never a value. Keeps
 * a second erasure of the same contact from running (CONFLICT) even after DELETE removed the contact itself.
 */
@Entity({ tableName: 'privacy_erasure' })
@TenantFilter()
@Unique({ name: 'privacy_erasure_contact_mode_unique', properties: ['workspaceId', 'contactId', 'mode'] })
@Index({ name: 'privacy_erasure_contact_idx', properties: ['workspaceId', 'contactId'] })
export class PrivacyErasure {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade' })
  workspaceId!: string;

  @Property({ type: 'uuid' })
  contactId!: string;

  /** `ANONYMIZE` or `DELETE`. */
  @Property({ type: 'string', length: 16 })
  mode!: string;

  @Property({ type: 'uuid', nullable: true })
  actorUserId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  actorApiKeyId?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  erasedAt: Opt<Date> = new Date();

  /** Section → rows erased (`{ "contact": 1, "activities": 3, "plugin:pipeline": 2 }`). */
  @Property({ type: 'json' })
  sections: Opt<Record<string, number>> = {};
}
