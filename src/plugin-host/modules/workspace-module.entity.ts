import { Entity, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../../core/shared/tenant-entity.js';

/**
 * A plugin's state in one workspace: enabled or not, and the settings the workspace chose (validated with the
 * plugin's zod schema; defaults fill the rest when read). No row: the plugin's default (`enabledByDefault`,
 * otherwise disabled) with default settings. Under row-level security like every tenant table: the request that
 * reads it (the GraphQL route's enabled-set lookup) runs in the workspace's tenant context.
 */
@Entity({ tableName: 'workspace_module' })
@TenantFilter()
@Unique({ properties: ['workspaceId', 'pluginId'] })
export class WorkspaceModule extends TenantEntity {
  @Property({ type: 'string', length: 100 })
  pluginId!: string;

  @Property({ type: 'boolean' })
  enabled!: boolean;

  @Property({ type: 'json', nullable: true })
  settings?: Record<string, unknown> | null;
}
