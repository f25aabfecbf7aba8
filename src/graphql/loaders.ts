import DataLoader from 'dataloader';
import type { EntityClass } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { readByIds } from '../db/read-rows.js';
import type { Sql } from '../db/sql.js';

/** What loaders need of a request's context (the request context itself: `Loaders<RequestContext>`). */
export interface LoaderContext {
  em: SqlEntityManager;
  principal: { workspaceId: string | null };
}

export type BatchFn<K, V, Ctx extends LoaderContext = LoaderContext> = (keys: readonly K[], ctx: Ctx) => Promise<ArrayLike<V | Error>>;

/**
 * Per-request DataLoaders, created on first use by name. One registry per request: a loader is never
 * shared between requests (it would leak data across workspaces and permissions).
 */
export class Loaders<Ctx extends LoaderContext = LoaderContext> {
  readonly #loaders = new Map<string, DataLoader<unknown, unknown>>();

  constructor(private readonly ctx: Ctx) {}

  get<K, V>(name: string, batch: BatchFn<K, V, Ctx>, cacheKeyFn?: (key: K) => K): DataLoader<K, V> {
    let loader = this.#loaders.get(name) as DataLoader<K, V> | undefined;
    if (!loader) {
      loader = new DataLoader<K, V>((keys) => batch(keys, this.ctx), { cacheKeyFn, maxBatchSize: 1000 });
      this.#loaders.set(name, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }

  /**
   * Loads records of one entity class by primary key, read-only (null when missing or outside the workspace).
   * Unscoped: records that have owners are loaded through `byIdWhere` with the caller's scope (record-scope.ts).
   */
  byId<T extends { id: string }>(entity: EntityClass<T>): DataLoader<string, T | null> {
    return this.get<string, T | null>(`${entity.name}.byId`, async (ids, ctx) => {
      const rows = await readByIds(ctx.em, entity, ids, ctx.principal.workspaceId);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    });
  }

  /**
   * Like `byId`, limited by a SQL condition over the alias `t` (e.g. the caller's read scope): rows outside it
   * resolve to null, in the same one query per batch. `key` names the condition (one loader per entity and key).
   */
  byIdWhere<T extends { id: string }>(entity: EntityClass<T>, key: string, condition: (ctx: Ctx) => Sql): DataLoader<string, T | null> {
    return this.get<string, T | null>(`${entity.name}.byId.${key}`, async (ids, ctx) => {
      const rows = await readByIds(ctx.em, entity, ids, ctx.principal.workspaceId, condition(ctx));
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    });
  }
}

export function createLoaders<Ctx extends LoaderContext>(ctx: Ctx): Loaders<Ctx> {
  return new Loaders(ctx);
}
