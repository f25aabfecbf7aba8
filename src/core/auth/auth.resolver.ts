import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId, toGlobalId } from '../../graphql/global-id.js';
import { runMutation } from '../shared/mutation.js';
import { User } from '../identity/user.entity.js';
import { UserNode } from '../identity/user.types.js';
import { Workspace } from '../workspaces/workspace.entity.js';
import { findRole } from '../../permissions/principal.js';
import { protectedFields } from '../../permissions/protected-fields.js';
import { ApiKey } from './auth.entities.js';
import { changePassword, checkPassword, acceptTotpCode, refreshSession, revokeSession, signedInUser, signIn } from './auth.service.js';
import { createApiKey, revokeApiKey } from './api-keys.service.js';
import { newRecoveryCodes, newTotpSecret, recoveryCodeHash, totpUri } from './totp.js';
import { unauthenticated } from './tokens.js';
import { decryptSecret, encryptSecret, TOTP_SECRET } from '../encryption/index.js';
import {
  ApiKeyNode,
  CallerKind,
  ChangePasswordInput,
  ChangePasswordPayload,
  ConfirmTotpInput,
  ConfirmTotpPayload,
  CreateApiKeyInput,
  CreateApiKeyPayload,
  DisableTotpInput,
  DisableTotpPayload,
  EnrollTotpPayload,
  Me,
  RefreshTokenInput,
  RefreshTokenPayload,
  RevokeApiKeyInput,
  RevokeApiKeyPayload,
  SignInInput,
  SignInPayload,
  SignOutPayload,
} from './auth.types.js';

async function userAndWorkspace(em: SqlEntityManager, userId: string, workspaceId: string) {
  const [user, workspace] = await Promise.all([em.findOne(User, { id: userId }), em.findOne(Workspace, { id: workspaceId })]);
  if (!user || !workspace) throw unauthenticated('This account or workspace no longer exists.');
  return { user, workspace };
}

@Resolver()
export class SessionResolver {
  @Mutation(() => SignInPayload, { description: 'Signs in with email and password (and a two-factor code when it is on).' })
  async signIn(@Arg('input', () => SignInInput) input: SignInInput, @Ctx() ctx: RequestContext): Promise<SignInPayload> {
    const session = await signIn(ctx, input);
    return { ...session, ...(await userAndWorkspace(ctx.em, session.userId, session.workspaceId)) };
  }

  @Mutation(() => RefreshTokenPayload, {
    description: 'Exchanges a refresh token (once) for a new access and refresh token. Send it without an Authorization header.',
  })
  async refreshToken(
    @Arg('input', () => RefreshTokenInput) input: RefreshTokenInput,
    @Ctx() ctx: RequestContext,
  ): Promise<RefreshTokenPayload> {
    const session = await refreshSession(ctx, input.refreshToken);
    return { ...session, ...(await userAndWorkspace(ctx.em, session.userId, session.workspaceId)) };
  }

  @Mutation(() => SignOutPayload, { description: 'Ends the current session: its access and refresh tokens stop working.' })
  async signOut(@Ctx() ctx: RequestContext) {
    const { workspaceId, sessionId } = signedInUser(ctx);
    return runMutation(ctx, async ({ em }) => {
      if (sessionId) await revokeSession(em, workspaceId, sessionId, 'signOut');
      return { signedOut: sessionId != null };
    });
  }

  @Mutation(() => ChangePasswordPayload, {
    description: 'Changes your password and ends all your sessions, in every workspace; returns tokens of a new session.',
  })
  changePassword(@Arg('input', () => ChangePasswordInput) input: ChangePasswordInput, @Ctx() ctx: RequestContext) {
    signedInUser(ctx);
    return runMutation(ctx, async ({ em }) => changePassword(em, ctx, input.currentPassword, input.newPassword));
  }

  @Mutation(() => EnrollTotpPayload, {
    description: 'Starts two-factor enrolment: returns a new secret, active once confirmTotp accepts a code.',
  })
  enrollTotp(@Ctx() ctx: RequestContext) {
    const { userId } = signedInUser(ctx);
    return runMutation(ctx, async ({ em }) => {
      const rows = await em.execute<{ email: string; enabled: boolean }[]>(
        'select email, (totp_enabled_at is not null) as enabled from app_user where id = ?',
        [userId],
      );
      if (rows[0]!.enabled) throw InputRejected.one('input', 'two-factor is already on: disable it first', ErrorCode.CONFLICT);
      const secret = newTotpSecret();
      await em.execute('update app_user set totp_secret = ?, totp_last_step = null, updated_at = ? where id = ?', [
        encryptSecret(em, TOTP_SECRET, userId, secret),
        new Date(),
        userId,
      ]);
      return { secret, otpauthUri: totpUri(secret, rows[0]!.email) };
    });
  }

  @Mutation(() => ConfirmTotpPayload, { description: 'Turns two-factor on with a code from the app; returns 10 one-time recovery codes.' })
  confirmTotp(@Arg('input', () => ConfirmTotpInput) input: ConfirmTotpInput, @Ctx() ctx: RequestContext) {
    const { userId } = signedInUser(ctx);
    return runMutation(ctx, async ({ em }) => {
      const row = await totpState(em, userId);
      if (row.enabled) throw InputRejected.one('input', 'two-factor is already on', ErrorCode.CONFLICT);
      if (!row.totp_secret) throw InputRejected.one('input', 'start with enrollTotp', ErrorCode.CONFLICT);
      if (!(await acceptTotpCode(em, userId, row.totp_secret, input.code)))
        throw InputRejected.one('code', 'is not a valid code: check the app and your clock');
      const recoveryCodes = newRecoveryCodes();
      await em.execute('update app_user set totp_enabled_at = ?, recovery_code_hashes = cast(? as jsonb), updated_at = ? where id = ?', [
        new Date(),
        JSON.stringify(recoveryCodes.map((c) => recoveryCodeHash(userId, c))),
        new Date(),
        userId,
      ]);
      return { recoveryCodes };
    });
  }

  @Mutation(() => DisableTotpPayload, { description: 'Turns two-factor off; needs your password or a current code.' })
  disableTotp(@Arg('input', () => DisableTotpInput) input: DisableTotpInput, @Ctx() ctx: RequestContext) {
    const { userId } = signedInUser(ctx);
    return runMutation(ctx, async ({ em }) => {
      const row = await totpState(em, userId);
      if (!row.enabled) return { twoFactorEnabled: false };
      if (!input.password && !input.code) throw InputRejected.one('input', 'send your password or a current two-factor code');
      const proven = input.code
        ? await acceptTotpCode(em, userId, row.totp_secret!, input.code)
        : await checkPassword(em, userId, input.password!);
      if (!proven) throw InputRejected.one(input.code ? 'code' : 'password', input.code ? 'is not a valid code' : 'is not your password');
      await em.execute(
        'update app_user set totp_secret = null, totp_enabled_at = null, totp_last_step = null, recovery_code_hashes = null, updated_at = ? where id = ?',
        [new Date(), userId],
      );
      return { twoFactorEnabled: false };
    });
  }

  @Query(() => Me, { description: 'The caller: member or API key, workspace, role, permissions and hidden fields.' })
  async me(@Ctx() ctx: RequestContext): Promise<Me> {
    const workspaceId = workspaceOf(ctx);
    const p = ctx.principal;
    if (!p.userId || !p.roleKey) throw unauthenticated('Sign in first.');
    const { user, workspace } = await userAndWorkspace(ctx.em, p.userId, workspaceId);
    const [role, totp, apiKey] = await Promise.all([
      findRole(ctx.em, workspaceId, p.roleKey),
      ctx.em.execute<{ enabled: boolean }[]>('select (totp_enabled_at is not null) as enabled from app_user where id = ?', [p.userId]),
      p.apiKeyId ? ctx.em.findOne(ApiKey, { id: p.apiKeyId, workspaceId }) : null,
    ]);
    return {
      kind: p.kind === 'apiKey' ? CallerKind.API_KEY : CallerKind.USER,
      user,
      workspace,
      role: p.roleKey,
      roleName: role?.name ?? p.roleKey,
      apiKey,
      twoFactorEnabled: Boolean(totp[0]?.enabled),
      permissions: [...p.access.grants.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([permission, scope]) => ({ permission, scope })),
      hiddenFields: protectedFields
        .types()
        .map((type) => ({ type, fields: [...p.access.hiddenFields(type)].sort() }))
        .filter((h) => h.fields.length > 0),
    };
  }
}

@Resolver(() => ApiKeyNode)
export class ApiKeyResolver {
  @Query(() => [ApiKeyNode], { description: 'The workspace’s API keys, newest first (secrets are never shown again).' })
  apiKeys(@Ctx() ctx: RequestContext) {
    return ctx.em.find(ApiKey, { workspaceId: workspaceOf(ctx) }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }

  @Mutation(() => CreateApiKeyPayload, {
    description: 'Creates an API key bound to a role (and optional field allowlist). The secret is returned only here.',
  })
  createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return runMutation(ctx, async ({ em }) => createApiKey(em, ctx.principal, input));
  }

  @Mutation(() => RevokeApiKeyPayload, { description: 'Revokes an API key at once.' })
  revokeApiKey(@Arg('input', () => RevokeApiKeyInput) input: RevokeApiKeyInput, @Ctx() ctx: RequestContext) {
    const workspaceId = workspaceOf(ctx);
    return runMutation(ctx, async ({ em }) => ({ apiKey: await revokeApiKey(em, workspaceId, expectGlobalId(input.id, 'ApiKey', 'id')) }));
  }

  @FieldResolver(() => ID)
  id(@Root() key: ApiKey) {
    return toGlobalId('ApiKey', key.id);
  }

  @FieldResolver(() => String)
  hint(@Root() key: ApiKey) {
    return `crm_key_…${key.last4}`;
  }

  @FieldResolver(() => UserNode, { nullable: true })
  createdBy(@Root() key: ApiKey, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(User).load(key.createdBy);
  }
}

/** The user's two-factor secret (set by enrollTotp), decrypted, and whether it is switched on. */
async function totpState(em: SqlEntityManager, userId: string): Promise<{ totp_secret: string | null; enabled: boolean }> {
  const rows = await em.execute<{ totp_secret: string | null; enabled: boolean }[]>(
    'select totp_secret, (totp_enabled_at is not null) as enabled from app_user where id = ?',
    [userId],
  );
  const row = rows[0]!;
  return { enabled: row.enabled, totp_secret: row.totp_secret === null ? null : decryptSecret(em, TOTP_SECRET, userId, row.totp_secret) };
}
