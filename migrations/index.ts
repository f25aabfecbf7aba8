import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123000000Kernel } from './Migration20261123000000Kernel.js';
import { Migration20261123100000Permissions } from './Migration20261123100000Permissions.js';
import { Migration20261123110000Auth } from './Migration20261123110000Auth.js';
import { Migration20261123120000WorkspaceAdmin } from './Migration20261123120000WorkspaceAdmin.js';
import { Migration20261123130000Audit } from './Migration20261123130000Audit.js';
import { Migration20261123140000Outbox } from './Migration20261123140000Outbox.js';
import { Migration20261123150000Modules } from './Migration20261123150000Modules.js';
import { Migration20261123160000Jobs } from './Migration20261123160000Jobs.js';
import { Migration20261123190000RowLevelSecurity } from './Migration20261123190000RowLevelSecurity.js';
import { Migration20261123200000LeakproofSearch } from './Migration20261123200000LeakproofSearch.js';
import { Migration20261123210000InstalledPlugins } from './Migration20261123210000InstalledPlugins.js';
import { Migration20261123220000OutboxCommitOrder } from './Migration20261123220000OutboxCommitOrder.js';
import { Migration20261123230000JobScheduler } from './Migration20261123230000JobScheduler.js';
import { Migration20261207000000ProcessedEvents } from './Migration20261207000000ProcessedEvents.js';
import { Migration20261207010000JobQueue } from './Migration20261207010000JobQueue.js';
import { Migration20261207020000Integrations } from './Migration20261207020000Integrations.js';
import { Migration20261207110000Webhooks } from './Migration20261207110000Webhooks.js';
import { Migration20261208000000Email } from './Migration20261208000000Email.js';
import { Migration20261208020000Automation } from './Migration20261208020000Automation.js';
import { Migration20261208010000Notifications } from './Migration20261208010000Notifications.js';
import { Migration20261209020000Consent } from './Migration20261209020000Consent.js';

/** Kernel migrations, in order. Plugins bring their own. */
export const kernelMigrations: MigrationObject[] = [
  { name: 'Migration20261123000000Kernel', class: Migration20261123000000Kernel },
  { name: 'Migration20261123100000Permissions', class: Migration20261123100000Permissions },
  { name: 'Migration20261123110000Auth', class: Migration20261123110000Auth },
  { name: 'Migration20261123120000WorkspaceAdmin', class: Migration20261123120000WorkspaceAdmin },
  { name: 'Migration20261123130000Audit', class: Migration20261123130000Audit },
  { name: 'Migration20261123140000Outbox', class: Migration20261123140000Outbox },
  { name: 'Migration20261123150000Modules', class: Migration20261123150000Modules },
  { name: 'Migration20261123160000Jobs', class: Migration20261123160000Jobs },
  { name: 'Migration20261123190000RowLevelSecurity', class: Migration20261123190000RowLevelSecurity },
  { name: 'Migration20261123200000LeakproofSearch', class: Migration20261123200000LeakproofSearch },
  { name: 'Migration20261123210000InstalledPlugins', class: Migration20261123210000InstalledPlugins },
  { name: 'Migration20261123220000OutboxCommitOrder', class: Migration20261123220000OutboxCommitOrder },
  { name: 'Migration20261123230000JobScheduler', class: Migration20261123230000JobScheduler },
  { name: 'Migration20261207000000ProcessedEvents', class: Migration20261207000000ProcessedEvents },
  { name: 'Migration20261207010000JobQueue', class: Migration20261207010000JobQueue },
  { name: 'Migration20261207020000Integrations', class: Migration20261207020000Integrations },
  { name: 'Migration20261207110000Webhooks', class: Migration20261207110000Webhooks },
  { name: 'Migration20261208000000Email', class: Migration20261208000000Email },
  { name: 'Migration20261208020000Automation', class: Migration20261208020000Automation },
  { name: 'Migration20261208010000Notifications', class: Migration20261208010000Notifications },
  { name: 'Migration20261209020000Consent', class: Migration20261209020000Consent },
];
