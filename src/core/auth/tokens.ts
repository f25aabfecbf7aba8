import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ErrorCode, graphqlError } from '../../graphql/errors.js';

/**
 * Token formats. Every credential names its workspace in clear, so the request's database session can be
 * scoped (row-level security) before anything is read:
 * - access token: a JWT (HS256) with `sub` = user id, `wid` = workspace id, `sid` = session id;
 * - refresh token: `crm_rt_<workspace hex>_<session hex>_<secret>`;
 * - API key: `crm_key_<workspace hex>_<key hex>_<secret>`.
 * Only sha256 hashes of refresh tokens and API keys are stored.
 */
const SECRET = '[A-Za-z0-9_-]{43}';
const HEX = '[0-9a-f]{32}';
const REFRESH = new RegExp(`^crm_rt_(${HEX})_(${HEX})_${SECRET}$`);
const API_KEY = new RegExp(`^crm_key_(${HEX})_(${HEX})_${SECRET}$`);
const ISSUER = 'crm-kernel';

export const unauthenticated = (message: string, extra: Record<string, unknown> = {}) =>
  graphqlError(ErrorCode.UNAUTHENTICATED, message, { ...extra, http: { status: 401 } });

const hex = (uuid: string) => uuid.replace(/-/g, '').toLowerCase();
const uuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
const secret = () => randomBytes(32).toString('base64url');

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export interface TokenParts {
  workspaceId: string;
  id: string;
}

export function newRefreshToken(workspaceId: string, sessionId: string): string {
  return `crm_rt_${hex(workspaceId)}_${hex(sessionId)}_${secret()}`;
}

export function parseRefreshToken(token: string): (TokenParts & { sessionId: string }) | null {
  const m = REFRESH.exec(token);
  return m ? { workspaceId: uuid(m[1]!), id: uuid(m[2]!), sessionId: uuid(m[2]!) } : null;
}

export function newApiKeySecret(workspaceId: string, keyId: string): string {
  return `crm_key_${hex(workspaceId)}_${hex(keyId)}_${secret()}`;
}

export function parseApiKey(token: string): TokenParts | null {
  const m = API_KEY.exec(token);
  return m ? { workspaceId: uuid(m[1]!), id: uuid(m[2]!) } : null;
}

export const isApiKeyLike = (token: string) => token.startsWith('crm_key_');
export const isRefreshTokenLike = (token: string) => token.startsWith('crm_rt_');

export interface AccessClaims {
  userId: string;
  workspaceId: string;
  sessionId: string;
  issuedAt: number;
}

const keys = new Map<string, Uint8Array>();
const keyOf = (secretText: string) => {
  let key = keys.get(secretText);
  if (!key) {
    key = new TextEncoder().encode(secretText);
    keys.set(secretText, key);
  }
  return key;
};

export async function signAccessToken(
  jwtSecret: string,
  ttlSeconds: number,
  claims: Omit<AccessClaims, 'issuedAt'>,
): Promise<{ token: string; expiresAt: Date }> {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ wid: claims.workspaceId, sid: claims.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject(claims.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(keyOf(jwtSecret));
  return { token, expiresAt: new Date((now + ttlSeconds) * 1000) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Verifies an access token's signature, algorithm, issuer and expiry; UNAUTHENTICATED otherwise. */
export async function verifyAccessToken(jwtSecret: string, token: string): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, keyOf(jwtSecret), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      requiredClaims: ['sub', 'iat', 'exp'],
    });
    const { sub, wid, sid, iat } = payload;
    if (
      typeof sub !== 'string' ||
      typeof wid !== 'string' ||
      typeof sid !== 'string' ||
      typeof iat !== 'number' ||
      ![sub, wid, sid].every((v) => UUID.test(v))
    ) {
      throw unauthenticated('The access token is not valid.');
    }
    return { userId: sub, workspaceId: wid, sessionId: sid, issuedAt: iat };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired)
      throw unauthenticated('The access token has expired: get a new one with refreshToken.', { reason: 'TOKEN_EXPIRED' });
    if (error instanceof joseErrors.JOSEError) throw unauthenticated('The access token is not valid.');
    throw error;
  }
}

/** Bearer token from an Authorization header; null when there is none; UNAUTHENTICATED when it is malformed. */
export function bearerToken(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  if (Array.isArray(value)) throw unauthenticated('Send one Authorization header.');
  const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(value);
  if (!m || value.length > 4096)
    throw unauthenticated('Malformed Authorization header: send `Authorization: Bearer <access token or API key>`.');
  return m[1]!;
}
