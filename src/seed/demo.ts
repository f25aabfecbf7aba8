import type { Orm } from '../db/orm.js';

/** Seeds the demo workspace on an empty database. */
export async function seedDemoIfEmpty(_orm: Orm): Promise<Record<string, number> | null> {
  return null;
}
