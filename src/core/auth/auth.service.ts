import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../../db/orm.js';
import type { AppConfig } from '../../config.js';
import type { RequestContext } from '../../graphql/context.js';
import { ErrorCode, graphqlError, InputRejected } from '../../graphql/errors.js';
import { isPglite } from '../../db/orm.js';
import { setTenantContext, withWorkspace } from '../../db/rls/tenant-context.js';
import { recordAudit, type AuditEntryInput } from '../audit/audit-log.js';
import { assertLoginAllowed, noteLoginFailure, noteLoginSuccess } from './login-throttle.js';
import { accessOf, findRole, type Principal } from '../../permissions/principal.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import { AuthSession, RefreshToken } from './auth.entities.js';
import { newRefreshToken, parseRefreshToken, sha256, signAccessToken, unauthenticated, type AccessClaims } from './tokens.js';
import { recoveryCodeHash, totpStep } from './totp.js';
import { decryptSecret, TOTP_SECRET } from '../encryption/index.js';

export type TokenSettings = Pick<AppConfig, 'JWT_SECRET' | 'ACCESS_TOKEN_TTL_SECONDS' | 'REFRESH_TOKEN_TTL_DAYS'>;

export interface IssuedTokens {
  sessionId: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

const DAY = 86_400_000;
const BAD_CREDENTIALS = 'Wrong email, password or workspace.';

/**
 * Runs `work` in a transaction of a database session scoped to one workspace (row-level security), then
 * ends that session. Used by operations of anonymous callers that act in a workspace named by their input.
 */
export async function inWorkspace<T>(orm: Orm, workspaceId: string, work: (em: SqlEntityManager) => Promise<T>): Promise<T> {
  return withWorkspace(orm, workspaceId, (em) =>
    em.isInTransaction() ? work(em) : em.transactional((tx) => work(tx as SqlEntityManager)),
  );
}

/** Runs `work` where row-level security shows the user's own memberships in every workspace (sign-in without a workspace). */
async function asUser<T>(orm: Orm, userId: string, work: (em: SqlEntityManager) => Promise<T>): Promise<T> {
  const em = orm.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
  if (isPglite(orm)) return work(em);
  return em.transactional(async (tx) => {
    await setTenantContext(tx as SqlEntityManager, { workspaceId: null, userId });
    return work(tx as SqlEntityManager);
  });
}

/**
 * Starts a session (a refresh-token family) for a member and returns its first token pair. `em` must be scoped
 * to the workspace. Tests use it to sign members in without a password.
 */
export async function issueSession(
  em: SqlEntityManager,
  who: { workspaceId: string; userId: string; ip?: string | null },
  settings: TokenSettings,
): Promise<IssuedTokens> {
  const now = new Date();
  const sessionId = randomUUID();
  const expiresAt = new Date(now.getTime() + settings.REFRESH_TOKEN_TTL_DAYS * DAY);
  await em.insert(AuthSession, {
    id: sessionId,
    workspaceId: who.workspaceId,
    userId: who.userId,
    createdAt: now,
    updatedAt: now,
    expiresAt,
    ip: who.ip?.slice(0, 64) ?? null,
  });
  return { sessionId, ...(await tokenPair(em, who.workspaceId, who.userId, sessionId, expiresAt, settings)) };
}

async function tokenPair(
  em: SqlEntityManager,
  workspaceId: string,
  userId: string,
  sessionId: string,
  sessionEnd: Date,
  settings: TokenSettings,
) {
  const now = new Date();
  const refreshToken = newRefreshToken(workspaceId, sessionId);
  const refreshTokenExpiresAt = new Date(Math.min(sessionEnd.getTime(), now.getTime() + settings.REFRESH_TOKEN_TTL_DAYS * DAY));
  await em.insert(RefreshToken, {
    id: randomUUID(),
    workspaceId,
    sessionId,
    tokenHash: sha256(refreshToken),
    expiresAt: refreshTokenExpiresAt,
    createdAt: now,
    updatedAt: now,
  });
  const access = await signAccessToken(settings.JWT_SECRET, settings.ACCESS_TOKEN_TTL_SECONDS, { userId, workspaceId, sessionId });
  return { accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken, refreshTokenExpiresAt };
}

// ---------------------------------------------------------------------------------------------- access tokens

/**
 * The principal of a verified access token: one query checks the session (not revoked, not older than the
 * user's last password change) and reads the membership's role; then the role and team are loaded.
 */
export async function accessTokenPrincipal(em: SqlEntityManager, claims: AccessClaims): Promise<Principal> {
  const rows = await em.execute<{ role: string | null; revoked: boolean; stale: boolean; team: string[] | string | null }[]>(
    `select m.role, (s.revoked_at is not null) as revoked,
            (u.sessions_valid_after is not null and s.created_at < u.sessions_valid_after) as stale,
            (select json_agg(distinct o.user_id) from team_member t join team_member o on o.team_id = t.team_id and o.workspace_id = t.workspace_id
              where t.workspace_id = s.workspace_id and t.user_id = s.user_id) as team
       from auth_session s
       join app_user u on u.id = s.user_id
       left join membership m on m.workspace_id = s.workspace_id and m.user_id = s.user_id
      where s.id = ? and s.workspace_id = ? and s.user_id = ?`,
    [claims.sessionId, claims.workspaceId, claims.userId],
  );
  const row = rows[0];
  if (!row || row.revoked || row.stale) throw unauthenticated('This session has ended: sign in again.', { reason: 'SESSION_REVOKED' });
  if (!row.role) throw unauthenticated('You are no longer a member of this workspace.');
  const role = await findRole(em, claims.workspaceId, row.role);
  if (!role) throw unauthenticated('Your role no longer exists: ask an admin.');
  // the team is read in the same statement (what accessFor would read with a second one)
  const team = (typeof row.team === 'string' ? (JSON.parse(row.team) as string[]) : row.team) ?? [];
  const access = accessOf(role, claims.userId, team);
  return {
    kind: 'user',
    workspaceId: claims.workspaceId,
    userId: claims.userId,
    apiKeyId: null,
    sessionId: claims.sessionId,
    roleKey: row.role,
    access,
  };
}

// ---------------------------------------------------------------------------------------------------- sign-in

export interface SignInInput {
  email: string;
  password: string;
  workspace?: string | null;
  totpCode?: string | null;
  recoveryCode?: string | null;
}

interface UserRow {
  id: string;
  email: string;
  password_hash: string | null;
  totp_secret: string | null;
  totp_enabled: boolean;
  totp_last_step: number | null;
}

let dummyHash: Promise<string> | null = null;
/** A real argon2id hash, so an unknown email costs the same time as a wrong password. */
const timingDummy = () => (dummyHash ??= hashPassword(`dummy-${randomUUID()}`));

class SignInFailed extends Error {
  constructor(
    readonly reason: string,
    readonly userId: string | null,
    readonly workspaceId: string | null,
    readonly publicMessage = BAD_CREDENTIALS,
    readonly countsAsFailure = true,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(reason);
  }
}

export async function signIn(ctx: RequestContext, input: SignInInput): Promise<IssuedTokens & { userId: string; workspaceId: string }> {
  const email = input.email.trim().toLowerCase().slice(0, 320);
  await assertLoginAllowed(ctx.ip, email);
  try {
    const result = await attemptSignIn(ctx, email, input);
    await noteLoginSuccess(ctx.ip, email);
    return result;
  } catch (error) {
    if (!(error instanceof SignInFailed)) throw error;
    if (error.countsAsFailure) {
      await noteLoginFailure(ctx.ip, email);
      await auditFailure(ctx, {
        workspaceId: error.workspaceId,
        actorUserId: error.userId,
        actorApiKeyId: null,
        action: 'auth.signInFailed',
        objectType: error.userId ? 'User' : null,
        objectId: error.userId,
        metadata: { email, reason: error.reason },
        ip: ctx.ip,
      });
    }
    throw unauthenticated(error.publicMessage, error.extensions);
  }
}

async function attemptSignIn(ctx: RequestContext, email: string, input: SignInInput) {
  const users = await ctx.em.execute<UserRow[]>(
    `select id, email, password_hash, totp_secret, (totp_enabled_at is not null) as totp_enabled, totp_last_step
       from app_user where lower(email) = ?`,
    [email],
  );
  const user = users[0];
  if (!user) {
    await verifyPassword(await timingDummy(), input.password);
    throw new SignInFailed('unknownEmail', null, null);
  }
  if (!(await verifyPassword(user.password_hash, input.password))) throw new SignInFailed('wrongPassword', user.id, null);

  const workspaceId = await workspaceOfSignIn(ctx, user.id, input.workspace);

  if (user.totp_enabled) await checkSecondFactor(ctx, user, workspaceId, input);

  return {
    userId: user.id,
    workspaceId,
    ...(await inWorkspace(ctx.orm, workspaceId, (em) => issueSession(em, { workspaceId, userId: user.id, ip: ctx.ip }, ctx.config))),
  };
}

/** The workspace named (slug or id) if the user is a member of it; without a name, the user's only workspace. */
async function workspaceOfSignIn(ctx: RequestContext, userId: string, ref: string | null | undefined): Promise<string> {
  const name = ref?.trim().toLowerCase();
  if (name) {
    const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(name);
    const rows = await ctx.em.execute<{ id: string }[]>(`select id from workspace where ${isId ? 'id' : 'slug'} = ?`, [name]);
    const workspaceId = rows[0]?.id;
    if (!workspaceId) throw new SignInFailed('unknownWorkspace', userId, null);
    const member = await inWorkspace(ctx.orm, workspaceId, (em) =>
      em.execute<{ n: number }[]>('select count(*)::int as n from membership where workspace_id = ? and user_id = ?', [
        workspaceId,
        userId,
      ]),
    );
    if (!Number(member[0]?.n)) throw new SignInFailed('notAMember', userId, workspaceId);
    return workspaceId;
  }
  // without a workspace name: the user's memberships, across workspaces (RLS shows a user's own memberships)
  const rows = await asUser(ctx.orm, userId, (em) =>
    em.execute<{ workspace_id: string; slug: string }[]>(
      'select m.workspace_id, w.slug from membership m join workspace w on w.id = m.workspace_id where m.user_id = ? order by w.slug limit 11',
      [userId],
    ),
  );
  if (rows.length === 1) return rows[0]!.workspace_id;
  if (rows.length === 0) throw new SignInFailed('noMembership', userId, null);
  throw new SignInFailed('workspaceRequired', userId, null, 'You belong to several workspaces: name one in `workspace`.', false, {
    reason: 'WORKSPACE_REQUIRED',
    workspaces: rows.slice(0, 10).map((r) => r.slug),
  });
}

async function checkSecondFactor(ctx: RequestContext, user: UserRow, workspaceId: string, input: SignInInput): Promise<void> {
  if (input.totpCode) {
    const secret = decryptSecret(ctx.em, TOTP_SECRET, user.id, user.totp_secret!);
    if (await acceptTotpCode(ctx.em, user.id, secret, input.totpCode)) return;
    throw new SignInFailed('wrongTotpCode', user.id, workspaceId, 'The two-factor code is not valid.', true, {
      reason: 'TWO_FACTOR_INVALID',
    });
  }
  if (input.recoveryCode) {
    if (await consumeRecoveryCode(ctx.em, user.id, input.recoveryCode)) return;
    throw new SignInFailed('wrongRecoveryCode', user.id, workspaceId, 'The recovery code is not valid.', true, {
      reason: 'TWO_FACTOR_INVALID',
    });
  }
  throw new SignInFailed(
    'twoFactorRequired',
    user.id,
    workspaceId,
    'Two-factor authentication is on: send totpCode (or a recoveryCode).',
    false,
    {
      reason: 'TWO_FACTOR_REQUIRED',
    },
  );
}

/** Accepts a TOTP code once (`secret`: decrypted): its time step must be later than the last one accepted (atomic). */
export async function acceptTotpCode(em: SqlEntityManager, userId: string, secret: string, code: string): Promise<boolean> {
  const step = totpStep(secret, code);
  if (step === null) return false;
  const rows = await em.execute<{ id: string }[]>(
    'update app_user set totp_last_step = ? where id = ? and (totp_last_step is null or totp_last_step < ?) returning id',
    [step, userId, step],
  );
  return rows.length === 1;
}

/** Consumes an unused recovery code (atomic: a code works once even under concurrent sign-ins). */
async function consumeRecoveryCode(em: SqlEntityManager, userId: string, code: string): Promise<boolean> {
  const hash = recoveryCodeHash(userId, code);
  const rows = await em.execute<{ id: string }[]>(
    `update app_user set recovery_code_hashes = recovery_code_hashes - ?::text
      where id = ? and recovery_code_hashes is not null and jsonb_exists(recovery_code_hashes, ?) returning id`,
    [hash, userId, hash],
  );
  return rows.length === 1;
}

async function auditFailure(ctx: RequestContext, entry: AuditEntryInput): Promise<void> {
  try {
    if (entry.workspaceId) await inWorkspace(ctx.orm, entry.workspaceId, (em) => recordAudit(em, entry));
    else await recordAudit(ctx.orm.em.fork() as SqlEntityManager, entry);
  } catch (error) {
    ctx.logger.error({ err: error, action: entry.action }, 'could not record the audit entry of a failed authentication');
  }
}

// ------------------------------------------------------------------------------------------------ refreshing

interface RefreshRow {
  token_id: string;
  used: boolean;
  token_expired: boolean;
  session_id: string;
  user_id: string;
  revoked: boolean;
  session_expired: boolean;
  stale: boolean;
  member: boolean;
  session_expires_at: Date | string;
}

type RefreshOutcome =
  | { ok: true; tokens: IssuedTokens & { userId: string; workspaceId: string } }
  | { ok: false; reused: boolean; userId: string | null; message: string };

/**
 * Exchanges a refresh token for a new pair. A token that was already exchanged revokes its whole session
 * (someone holds a copy), so the pair issued for it stops working too.
 */
export async function refreshSession(ctx: RequestContext, token: string) {
  const parts = parseRefreshToken(token.trim());
  if (!parts) throw unauthenticated('The refresh token is not valid.');
  const { workspaceId, sessionId } = parts;
  const now = new Date();
  const outcome = await inWorkspace<RefreshOutcome>(ctx.orm, workspaceId, async (em) => {
    const rows = await em.execute<RefreshRow[]>(
      `select t.id as token_id, (t.used_at is not null) as used, (t.expires_at <= ?) as token_expired,
              s.id as session_id, s.user_id, (s.revoked_at is not null) as revoked, (s.expires_at <= ?) as session_expired,
              (u.sessions_valid_after is not null and s.created_at < u.sessions_valid_after) as stale,
              exists (select 1 from membership m where m.workspace_id = s.workspace_id and m.user_id = s.user_id) as member,
              s.expires_at as session_expires_at
         from auth_refresh_token t
         join auth_session s on s.id = t.session_id and s.workspace_id = t.workspace_id
         join app_user u on u.id = s.user_id
        where t.token_hash = ? and t.workspace_id = ? and t.session_id = ?`,
      [now, now, sha256(token.trim()), workspaceId, sessionId],
    );
    const row = rows[0];
    if (!row) return { ok: false, reused: false, userId: null, message: 'The refresh token is not valid.' };
    if (row.revoked || row.stale)
      return { ok: false, reused: false, userId: row.user_id, message: 'This session has ended: sign in again.' };
    if (row.used) {
      await revokeSession(em, workspaceId, sessionId, 'refreshTokenReused');
      return {
        ok: false,
        reused: true,
        userId: row.user_id,
        message: 'This refresh token was already used: the session is revoked, sign in again.',
      };
    }
    if (row.token_expired || row.session_expired)
      return { ok: false, reused: false, userId: row.user_id, message: 'The refresh token has expired: sign in again.' };
    if (!row.member) return { ok: false, reused: false, userId: row.user_id, message: 'You are no longer a member of this workspace.' };
    const marked = await em.execute<{ id: string }[]>(
      'update auth_refresh_token set used_at = ?, updated_at = ? where id = ? and used_at is null returning id',
      [now, now, row.token_id],
    );
    if (marked.length !== 1) {
      // exchanged concurrently: a replay
      await revokeSession(em, workspaceId, sessionId, 'refreshTokenReused');
      return {
        ok: false,
        reused: true,
        userId: row.user_id,
        message: 'This refresh token was already used: the session is revoked, sign in again.',
      };
    }
    await em.execute('update auth_session set updated_at = ? where id = ?', [now, sessionId]);
    const pair = await tokenPair(em, workspaceId, row.user_id, sessionId, new Date(row.session_expires_at), ctx.config);
    return { ok: true, tokens: { sessionId, userId: row.user_id, workspaceId, ...pair } };
  });
  if (outcome.ok) return outcome.tokens;
  if (outcome.reused) {
    await auditFailure(ctx, {
      workspaceId,
      actorUserId: outcome.userId,
      actorApiKeyId: null,
      action: 'auth.refreshTokenReused',
      objectType: 'Session',
      objectId: sessionId,
      ip: ctx.ip,
    });
  }
  throw unauthenticated(outcome.message, outcome.reused ? { reason: 'REFRESH_TOKEN_REUSED' } : {});
}

export async function revokeSession(em: SqlEntityManager, workspaceId: string, sessionId: string, reason: string): Promise<void> {
  const now = new Date();
  await em.execute(
    'update auth_session set revoked_at = ?, revoked_reason = ?, updated_at = ? where id = ? and workspace_id = ? and revoked_at is null',
    [now, reason, now, sessionId, workspaceId],
  );
}

// ---------------------------------------------------------------------------------------------- own account

/** The signed-in user (not an API key) of a request, or UNAUTHENTICATED/FORBIDDEN. */
export function signedInUser(ctx: RequestContext): { userId: string; workspaceId: string; sessionId: string | null } {
  const p = ctx.principal;
  if (p.kind === 'anonymous' || !p.workspaceId || !p.userId)
    throw unauthenticated('Sign in first: send `Authorization: Bearer <access token>`.');
  if (p.kind !== 'user') throw graphqlError(ErrorCode.FORBIDDEN, 'Only a signed-in user can do this, not an API key.');
  return { userId: p.userId, workspaceId: p.workspaceId, sessionId: p.sessionId };
}

export async function checkPassword(em: SqlEntityManager, userId: string, password: string): Promise<boolean> {
  const rows = await em.execute<{ password_hash: string | null }[]>('select password_hash from app_user where id = ?', [userId]);
  return verifyPassword(rows[0]?.password_hash, password);
}

/**
 * Changes the signed-in user's password. Every session of the user, in every workspace, ends (the user's
 * `sessions_valid_after` moves to now); the caller gets a fresh session in the current workspace.
 */
export async function changePassword(
  em: SqlEntityManager,
  ctx: RequestContext,
  currentPassword: string,
  newPassword: string,
): Promise<IssuedTokens> {
  const { userId, workspaceId } = signedInUser(ctx);
  const users = await em.execute<{ email: string }[]>('select email from app_user where id = ?', [userId]);
  const email = users[0]?.email ?? userId;
  await assertLoginAllowed(ctx.ip, email);
  if (!(await checkPassword(em, userId, currentPassword))) {
    await noteLoginFailure(ctx.ip, email);
    throw InputRejected.one('currentPassword', 'is not your current password', ErrorCode.BAD_USER_INPUT);
  }
  const problem = passwordProblem(newPassword);
  if (problem) throw InputRejected.one('newPassword', problem);
  if (newPassword === currentPassword) throw InputRejected.one('newPassword', 'must differ from the current password');
  const now = new Date();
  await em.execute('update app_user set password_hash = ?, sessions_valid_after = ?, updated_at = ? where id = ?', [
    await hashPassword(newPassword),
    now,
    now,
    userId,
  ]);
  await em.execute(
    `update auth_session set revoked_at = ?, revoked_reason = 'passwordChanged', updated_at = ? where user_id = ? and workspace_id = ? and revoked_at is null`,
    [now, now, userId, workspaceId],
  );
  return issueSession(em, { workspaceId, userId, ip: ctx.ip }, ctx.config);
}
