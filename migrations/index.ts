import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261123000000Kernel } from './Migration20261123000000Kernel.js';

/** Kernel migrations, in order. Plugins bring their own. */
export const kernelMigrations: MigrationObject[] = [
  { name: 'Migration20261123000000Kernel', class: Migration20261123000000Kernel },
];
