import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { TenantFilter } from '../shared/tenant-entity.js';
import { Workspace } from '../workspaces/workspace.entity.js';
import { Contact } from '../customers/contact.entity.js';

/** The contact fields whose every change is kept: marketing consent and the do-not flags. */
export enum ConsentField {
  MARKETING_CONSENT = 'MARKETING_CONSENT',
  DO_NOT_CONTACT = 'DO_NOT_CONTACT',
  DO_NOT_EMAIL = 'DO_NOT_EMAIL',
  DO_NOT_CALL = 'DO_NOT_CALL',
}

/** Who or what changed a consent field. */
export enum ConsentActorKind {
  /** A member, through the API or the app. */
  USER = 'USER',
  API_KEY = 'API_KEY',
  /** A CSV import (the actor id is the import job's). */
  IMPORT = 'IMPORT',
  /** The person themselves, through an unsubscribe link (the campaigns plugin). */
  UNSUBSCRIBE = 'UNSUBSCRIBE',
  /** An automation rule (the actor id is the rule's). */
  AUTOMATION = 'AUTOMATION',
  /** Background work without a member. */
  SYSTEM = 'SYSTEM',
}

/** One change of one consent field of a contact: written in the transaction of the change, never updated. */
@Entity({ tableName: 'consent_change' })
@TenantFilter()
@Index({
  name: 'consent_change_contact_idx',
  expression: 'create index "consent_change_contact_idx" on "consent_change" ("contact_id", "changed_at" desc, "id" desc)',
})
export class ConsentChange {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;

  @ManyToOne({ entity: () => Contact, fieldName: 'contact_id', mapToPk: true, deleteRule: 'cascade' })
  contactId!: string;

  @Enum({ items: () => ConsentField, nativeEnumName: 'consent_field' })
  field!: ConsentField;

  /** The value before (`GRANTED`, `true` …); null when the contact was created with it. */
  @Property({ type: 'string', length: 20, nullable: true })
  fromValue?: string | null;

  @Property({ type: 'string', length: 20 })
  toValue!: string;

  @Property({ type: 'datetime' })
  changedAt: Opt<Date> = new Date();

  @Enum({ items: () => ConsentActorKind, nativeEnumName: 'consent_actor_kind' })
  actorKind!: ConsentActorKind;

  /** The user, API key, import job or automation rule (raw id); whatever a plugin names for its kinds; null for SYSTEM. */
  @Property({ type: 'string', length: 200, nullable: true })
  actorId?: string | null;

  /** Where the consent was given or withdrawn, as said by the writer: "web form /pricing", "phone call 2026-12-01" … */
  @Property({ type: 'string', length: 500, nullable: true })
  source?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  legalBasis?: string | null;
}
