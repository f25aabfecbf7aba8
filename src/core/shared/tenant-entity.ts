import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Filter, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Workspace } from '../workspaces/workspace.entity.js';

/** Every kernel row belongs to exactly one workspace; the `tenant` filter scopes every ORM query to it. */
export const TenantFilter = () =>
  Filter({
    name: 'tenant',
    cond: (args: { workspaceId: string }) => ({ workspaceId: args.workspaceId }),
    default: true,
  });

export abstract class TenantEntity {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @ManyToOne({ entity: () => Workspace, fieldName: 'workspace_id', mapToPk: true, deleteRule: 'cascade', index: true })
  workspaceId!: string;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}

/** Records people edit concurrently carry a version (optimistic locking) and can be soft-deleted. */
export abstract class EditableTenantEntity extends TenantEntity {
  @Property({ type: 'integer', version: true })
  version!: number;

  @Property({ type: 'datetime', nullable: true })
  deletedAt?: Date | null;
}
