import { allow, rule } from 'graphql-shield';
import type { IRule } from 'graphql-shield';

/** A shield rule (logic rules such as and/or are accepted too). */
export type ShieldRule = IRule | ReturnType<typeof import('graphql-shield').and>;
import type { RequestContext } from '../context.js';
import { ErrorCode, graphqlError } from '../errors.js';
import { permissionRegistry } from '../../permissions/permission-registry.js';

const unauthenticated = () =>
  graphqlError(ErrorCode.UNAUTHENTICATED, 'Sign in first: send `Authorization: Bearer <access token or API key>`.');
const forbidden = (message: string) => graphqlError(ErrorCode.FORBIDDEN, message);

/** Anyone, signed in or not (sign-in, token refresh, accepting an invitation). */
export const anyone: ShieldRule = allow;

/** A member or API key of a workspace, whatever its permissions (e.g. `me`, `node`, `search`: they filter by permission themselves). */
export const signedIn: ShieldRule = rule('signedIn', { cache: 'contextual' })((_parent, _args, ctx: RequestContext) =>
  ctx.principal.workspaceId && ctx.principal.kind !== 'anonymous' ? true : unauthenticated(),
);

/** A signed-in user (not an API key): changing one's password, enrolling two-factor, listing one's sessions. */
export const signedInUser: ShieldRule = rule('signedInUser', { cache: 'contextual' })((_parent, _args, ctx: RequestContext) => {
  if (ctx.principal.kind === 'anonymous') return unauthenticated();
  return ctx.principal.kind === 'user' ? true : forbidden('Only a signed-in user can do this, not an API key.');
});

const byPermission = new Map<string, ShieldRule>();
const permissionOf = new WeakMap<object, string>();

/** The caller holds the permission (with any scope; the scope is applied by the query itself). */
export function requires(permission: string): ShieldRule {
  let cached = byPermission.get(permission);
  if (!cached) {
    cached = rule(`requires:${permission}`, { cache: 'contextual' })((_parent, _args, ctx: RequestContext) => {
      if (ctx.principal.kind === 'anonymous' || !ctx.principal.workspaceId) return unauthenticated();
      return ctx.principal.access.can(permission) ? true : forbidden(`Your role lacks the permission ${permission}.`);
    });
    byPermission.set(permission, cached);
    permissionOf.set(cached, permission);
  }
  return cached;
}

/**
 * Permissions the given rules need (through `requires`, also inside `and` / `or` / `not`) that nobody registered.
 * Plugins create their rules when imported, before the host registers their permissions, so the check runs when
 * the schema is shielded (applyShield refuses to build). Only the schema's own rules count: another app in the
 * process may have imported a plugin whose permissions are not registered yet.
 */
export function unregisteredPermissions(rules: Iterable<ShieldRule>): string[] {
  const needed = new Set<string>();
  const visit = (rule: ShieldRule) => {
    const permission = permissionOf.get(rule as object);
    if (permission) needed.add(permission);
    const children = (rule as { getRules?: () => ShieldRule[] }).getRules?.();
    for (const child of children ?? []) visit(child);
  };
  for (const rule of rules) visit(rule);
  return [...needed].filter((permission) => !permissionRegistry.has(permission)).sort();
}

const byField = new Map<string, ShieldRule>();

/** A protected field: hidden (null + FORBIDDEN at its path) when the caller's field allowlist leaves it out. */
export function fieldVisible(type: string, field: string): ShieldRule {
  const key = `${type}.${field}`;
  let cached = byField.get(key);
  if (!cached) {
    cached = rule(`visible:${key}`, { cache: 'contextual' })((_parent, _args, ctx: RequestContext) =>
      ctx.principal.access.canSeeField(type, field) ? true : forbidden(`${key} is hidden by your field allowlist.`),
    );
    byField.set(key, cached);
  }
  return cached;
}
