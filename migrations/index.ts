import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123000000Kernel } from './Migration20261123000000Kernel.js';
import { Migration20261123100000Permissions } from './Migration20261123100000Permissions.js';

/** Kernel migrations, in order. Plugins bring their own. */
export const kernelMigrations: MigrationObject[] = [
  { name: 'Migration20261123000000Kernel', class: Migration20261123000000Kernel },
  { name: 'Migration20261123100000Permissions', class: Migration20261123100000Permissions },
];
