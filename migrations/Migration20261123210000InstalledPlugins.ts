import { Migration } from '@mikro-orm/migrations';

/** `installed_plugin`: which plugins this database has installed (their `onInstall` ran), and at which version. */
export class Migration20261123210000InstalledPlugins extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "installed_plugin" ("plugin_id" varchar(100) not null, "version" varchar(64) not null, "installed_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("plugin_id"))`,
    );
  }
}
