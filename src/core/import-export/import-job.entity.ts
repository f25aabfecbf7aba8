import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';

export enum ImportStatus {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
}

@Entity()
@TenantFilter()
export class ImportJob extends TenantEntity {
  /** `Contact` or `Company`. */
  @Property({ type: 'string', length: 40 })
  objectType!: string;

  @Enum({ items: () => ImportStatus, nativeEnumName: 'import_status' })
  status: Opt<ImportStatus> = ImportStatus.PENDING;

  /** CSV column → field path (`firstName`, `emails`, `custom.region`…). */
  @Property({ type: 'json' })
  mapping: Opt<Record<string, string>> = {};

  @Property({ type: 'string', length: 300, nullable: true })
  fileName?: string | null;

  @Property({ type: 'integer' })
  processedRows: Opt<number> = 0;

  @Property({ type: 'integer' })
  createdCount: Opt<number> = 0;

  @Property({ type: 'integer' })
  updatedCount: Opt<number> = 0;

  @Property({ type: 'integer' })
  failedCount: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  failureMessage?: string | null;

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date | null;
}

/** One rejected row of an import, kept so the user can fix and re-import it. */
@Entity()
@TenantFilter()
@Index({ properties: ['job', 'rowNumber'] })
export class ImportRowError extends TenantEntity {
  @ManyToOne({ entity: () => ImportJob, deleteRule: 'cascade' })
  job!: ImportJob;

  @Property({ type: 'integer' })
  rowNumber!: number;

  @Property({ type: 'string', length: 200, nullable: true })
  field?: string | null;

  @Property({ type: 'string', length: 40 })
  code!: string;

  @Property({ type: 'text' })
  message!: string;
}
