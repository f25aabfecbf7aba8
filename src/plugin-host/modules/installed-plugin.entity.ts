import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A plugin installed on this database: recorded the first time a server starts with it, when its `onInstall` runs
 * (once per database, whatever the number of processes); the version is the last one a server started with.
 * Not tenant data (no workspace): written by the database owner at start-up, only read by the API role.
 */
@Entity({ tableName: 'installed_plugin' })
export class InstalledPlugin {
  @PrimaryKey({ type: 'string', length: 100 })
  pluginId!: string;

  @Property({ type: 'string', length: 64 })
  version!: string;

  @Property({ type: 'datetime' })
  installedAt!: Date;

  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
