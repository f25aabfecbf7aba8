import { raw, Sql, sql } from '../db/sql.js';
import type { FieldAllowlist } from './builtin-roles.js';
import { Scope } from './permission-registry.js';

/**
 * What one principal may do in one workspace: granted permissions with their scopes, who counts as
 * "own" and "team" for scoped permissions, and which protected fields it may see.
 */
export class Access {
  readonly #hidden: Map<string, Set<string>>;

  constructor(
    readonly grants: ReadonlyMap<string, Scope>,
    /** The user whose records are "own" (the key's creator for an API key). */
    readonly userId: string | null,
    /** Users sharing a team with `userId`, including themself. */
    readonly teamUserIds: readonly string[],
    /** Protected fields visible per type, already intersected (role ∩ API key); null: all visible. */
    readonly fieldAllowlists: FieldAllowlist[],
    protectedFieldsOf: (type: string) => string[],
  ) {
    this.#hidden = new Map();
    for (const allowlist of fieldAllowlists) {
      for (const [type, allowed] of Object.entries(allowlist)) {
        const hidden = this.#hidden.get(type) ?? new Set<string>();
        for (const field of protectedFieldsOf(type)) if (!allowed.includes(field)) hidden.add(field);
        this.#hidden.set(type, hidden);
      }
    }
  }

  static readonly none = new Access(new Map(), null, [], [], () => []);

  scope(permission: string): Scope | null {
    return this.grants.get(permission) ?? null;
  }

  can(permission: string): boolean {
    return this.grants.has(permission);
  }

  canSeeField(type: string, field: string): boolean {
    return !this.#hidden.get(type)?.has(field);
  }

  hiddenFields(type: string): ReadonlySet<string> {
    return this.#hidden.get(type) ?? new Set();
  }

  /**
   * SQL condition limiting rows to the permission's scope. `ownerExprs` are SQL expressions (chosen by code)
   * holding the user ids a record belongs to (e.g. `c.owner_id`, or an activity's assignee and creator).
   */
  rowCondition(permission: string, ownerExprs: string[]): Sql {
    const scope = this.scope(permission);
    if (scope === Scope.ALL) return sql`true`;
    if (scope === null || !this.userId || ownerExprs.length === 0) return sql`false`;
    const users = scope === Scope.OWN ? [this.userId] : this.teamUserIds.length ? this.teamUserIds : [this.userId];
    const list = Sql.join(
      users.map((u) => sql`${u}::uuid`),
      ', ',
    );
    return Sql.or(ownerExprs.map((expr) => sql`${raw(expr)} in (${list})`));
  }

  /** Whether a record with these owners is in the permission's scope (for records already loaded). */
  reaches(permission: string, ownerIds: (string | null | undefined)[]): boolean {
    const scope = this.scope(permission);
    if (scope === Scope.ALL) return true;
    if (scope === null || !this.userId) return false;
    const users = scope === Scope.OWN ? [this.userId] : this.teamUserIds;
    return ownerIds.some((id) => id != null && (id === this.userId || users.includes(id)));
  }
}
