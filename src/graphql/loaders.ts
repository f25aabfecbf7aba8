import DataLoader from 'dataloader';
import type { EntityClass } from '@mikro-orm/core';
import type { RequestContext } from './context.js';
import { readByIds } from '../db/read-rows.js';

export type BatchFn<K, V> = (keys: readonly K[], ctx: RequestContext) => Promise<ArrayLike<V | Error>>;

/**
 * Per-request DataLoaders, created on first use by name. One registry per request: a loader is never
 * shared between requests (it would leak data across workspaces and permissions).
 */
export class Loaders {
  readonly #loaders = new Map<string, DataLoader<unknown, unknown>>();

  constructor(private readonly ctx: RequestContext) {}

  get<K, V>(name: string, batch: BatchFn<K, V>, cacheKeyFn?: (key: K) => K): DataLoader<K, V> {
    let loader = this.#loaders.get(name) as DataLoader<K, V> | undefined;
    if (!loader) {
      loader = new DataLoader<K, V>((keys) => batch(keys, this.ctx), { cacheKeyFn, maxBatchSize: 1000 });
      this.#loaders.set(name, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }

  /** Loads records of one entity class by primary key, read-only (null when missing or outside the workspace). */
  byId<T extends { id: string }>(entity: EntityClass<T>): DataLoader<string, T | null> {
    return this.get<string, T | null>(`${entity.name}.byId`, async (ids, ctx) => {
      const rows = await readByIds(ctx.em, entity, ids, ctx.principal.workspaceId);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    });
  }
}

export function createLoaders(ctx: RequestContext): Loaders {
  return new Loaders(ctx);
}
