/**
 * Per-app values reachable from anything that holds one of the app's entity managers (or its ORM): the registries an
 * app builds from its own plugin set. Keyed by the ORM's configuration object, which every fork of its entity
 * manager shares — so a hook, a subscriber, a job and a request of one app find that app's registries, and two apps
 * in one process (each with its own ORM) never see each other's. Without a value attached, `lookup` answers
 * undefined and callers fall back to the kernel's own registrations.
 */
export interface AppScoped {
  /** MikroORM's `Configuration` of the app's ORM (`orm.config`, `em.config`). */
  readonly config: object;
}

/** A typed key of one per-app value. */
export class AppSlot<T> {
  declare readonly type: T;
  constructor(readonly name: string) {}
}

const scopes = new WeakMap<object, Map<AppSlot<unknown>, unknown>>();

/** Attaches `value` to the app that owns `holder`; refuses to replace another value in the same slot. */
export function attachToApp<T>(holder: AppScoped, slot: AppSlot<T>, value: T): void {
  let scope = scopes.get(holder.config);
  if (!scope) {
    scope = new Map();
    scopes.set(holder.config, scope);
  }
  const existing = scope.get(slot as AppSlot<unknown>);
  if (existing !== undefined && existing !== value)
    throw new Error(`This ORM already serves an app (${slot.name} attached twice): give each app its own ORM`);
  scope.set(slot as AppSlot<unknown>, value);
}

/** Removes what `attachToApp` attached (an app closing). */
export function detachFromApp(holder: AppScoped, slot: AppSlot<unknown>): void {
  scopes.get(holder.config)?.delete(slot);
}

export function lookupInApp<T>(holder: AppScoped, slot: AppSlot<T>): T | undefined {
  return scopes.get(holder.config)?.get(slot as AppSlot<unknown>) as T | undefined;
}
