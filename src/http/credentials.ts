import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../db/orm.js';
import type { AppConfig } from '../config.js';
import { anonymous, type Principal } from '../permissions/principal.js';
import { bearerToken, isApiKeyLike, isRefreshTokenLike, parseApiKey, unauthenticated, verifyAccessToken } from '../core/auth/tokens.js';
import { accessTokenPrincipal } from '../core/auth/auth.service.js';
import { apiKeyPrincipal } from '../core/auth/api-keys.service.js';

/**
 * What a request's credentials claim: the workspace (known before any database read, so the request's
 * session can be scoped to it) and how to load the principal inside that session.
 */
export interface Credentials {
  workspaceId: string | null;
  /** The user an access token names (unverified against the database until `principal` runs); null for API keys. */
  userId?: string | null;
  principal(em: SqlEntityManager): Promise<Principal>;
}

export type Headers = Record<string, string | string[] | undefined>;

const anonymousCredentials: Credentials = { workspaceId: null, principal: async () => anonymous() };

/**
 * Reads the request's `Authorization: Bearer …` header: an access token (JWT) or an API key (`crm_key_…`).
 * No header: an anonymous caller (who may sign in). Malformed, forged, expired or revoked credentials throw a
 * GraphQL error with code UNAUTHENTICATED (HTTP 401) — here or from `principal()`.
 */
export async function readCredentials(_orm: Orm, config: AppConfig, headers: Headers): Promise<Credentials> {
  const token = bearerToken(headers.authorization);
  if (token === null) return anonymousCredentials;
  if (isApiKeyLike(token)) {
    const parts = parseApiKey(token);
    if (!parts) throw unauthenticated('The API key is not valid.');
    return { workspaceId: parts.workspaceId, principal: (em) => apiKeyPrincipal(em, token, parts) };
  }
  if (isRefreshTokenLike(token))
    throw unauthenticated('A refresh token is not an access token: exchange it with the refreshToken mutation.');
  const claims = await verifyAccessToken(config.JWT_SECRET, token);
  return { workspaceId: claims.workspaceId, userId: claims.userId, principal: (em) => accessTokenPrincipal(em, claims) };
}
