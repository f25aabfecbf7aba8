import type { Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Contact, EditableTenantEntity, TenantEntity, TenantFilter } from '../../../src/sdk/index.js';
import type { SequenceStep } from './steps.js';

/** active → paused → active …; archived (every active enrollment exits) is final. */
export enum SequenceStatus {
  ACTIVE = 'active',
  PAUSED = 'paused',
  ARCHIVED = 'archived',
}

/** What ends an enrollment before its last step (checked before every step). */
export interface SequenceExitOn {
  /** Do-not-email, do-not-contact, consent withdrawn or an `unsubscribed` suppression of the address. */
  unsubscribed: boolean;
  /** The contact's lifecycle stage is CUSTOMER. */
  becameCustomer: boolean;
  /** The contact is (or becomes) a member of this segment (raw uuid). */
  enteredSegmentId: string | null;
}

/** A sequence (drip) of steps run per enrolled contact (migration Migration20261211000000CampaignSequences). */
@Entity({ tableName: 'campaign_sequence' })
@TenantFilter()
@Index({ name: 'campaign_sequence_workspace_id_status_index', properties: ['workspaceId', 'status'] })
export class CampaignSequence extends EditableTenantEntity {
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'string', length: 16, default: 'active' })
  status: Opt<SequenceStatus> = SequenceStatus.ACTIVE;

  /** IANA zone in which "wait until Monday 09:00" steps are read (contacts have no time zone). */
  @Property({ type: 'string', length: 64, default: 'UTC' })
  timeZone: Opt<string> = 'UTC';

  /** Contacts entering this segment are enrolled (raw uuid); null: enrolment by hand or by automation only. */
  @Property({ type: 'uuid', nullable: true })
  triggerSegmentId?: string | null;

  @Property({ type: 'json' })
  exitOn!: SequenceExitOn;

  /** The ordered steps (raw uuids inside). */
  @Property({ type: 'json' })
  steps!: SequenceStep[];

  @Property({ type: 'uuid', nullable: true })
  createdBy?: string | null;
}

export enum EnrollmentStatus {
  ACTIVE = 'active',
  COMPLETED = 'completed',
  EXITED = 'exited',
}

export enum EnrollmentSource {
  SEGMENT = 'segment',
  AUTOMATION = 'automation',
  MANUAL = 'manual',
}

/** One contact going through one sequence; at most one active enrollment per contact and sequence. */
@Entity({ tableName: 'campaign_sequence_enrollment' })
@TenantFilter()
@Index({
  name: 'campaign_sequence_enrollment_active_unique',
  expression: `create unique index "campaign_sequence_enrollment_active_unique" on "campaign_sequence_enrollment" ("sequence_id", "contact_id") where "status" = 'active'`,
})
@Index({ name: 'campaign_sequence_enrollment_workspace_id_status_next_run_at_index', properties: ['workspaceId', 'status', 'nextRunAt'] })
@Index({ name: 'campaign_sequence_enrollment_sequence_id_status_index', properties: ['sequenceId', 'status'] })
export class CampaignSequenceEnrollment extends TenantEntity {
  @ManyToOne({ entity: () => CampaignSequence, fieldName: 'sequence_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'no action' })
  sequenceId!: string;

  @ManyToOne({ entity: () => Contact, fieldName: 'contact_id', mapToPk: true, deleteRule: 'cascade', updateRule: 'no action', index: true })
  contactId!: string;

  @Property({ type: 'string', length: 16, default: 'active' })
  status: Opt<EnrollmentStatus> = EnrollmentStatus.ACTIVE;

  /** The next step to run (steps.length: none left). */
  @Property({ type: 'integer', default: 0 })
  stepIndex: Opt<number> = 0;

  /** When the next step is due; null once finished. */
  @Property({ type: 'datetime', nullable: true })
  nextRunAt?: Date | null;

  @Property({ type: 'string', length: 16 })
  source!: EnrollmentSource;

  @Property({ type: 'string', length: 32, nullable: true })
  exitReason?: string | null;

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date | null;
}

/** A step an enrollment ran: claimed (inserted) before the step acts, so each step runs once per enrollment. */
@Entity({ tableName: 'campaign_sequence_step_run' })
@TenantFilter()
@Unique({ name: 'campaign_sequence_step_run_enrollment_id_step_index_unique', properties: ['enrollmentId', 'stepIndex'] })
export class CampaignSequenceStepRun extends TenantEntity {
  @ManyToOne({
    entity: () => CampaignSequenceEnrollment,
    fieldName: 'enrollment_id',
    mapToPk: true,
    deleteRule: 'cascade',
    updateRule: 'no action',
  })
  enrollmentId!: string;

  @Property({ type: 'integer' })
  stepIndex!: number;

  @Property({ type: 'string', length: 16 })
  kind!: string;

  /** sent | skipped | failed | waited | branched | done */
  @Property({ type: 'string', length: 16 })
  outcome!: string;

  /** What happened: the skip reason, the error, the branch taken, the task's id, the wait's end. */
  @Property({ type: 'json', nullable: true })
  detail?: Record<string, unknown> | null;

  /** The kernel's email_message of a sent email step. */
  @Property({ type: 'uuid', nullable: true })
  messageId?: string | null;
}

export const sequenceEntities = [CampaignSequence, CampaignSequenceEnrollment, CampaignSequenceStepRun];
