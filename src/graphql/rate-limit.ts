import 'reflect-metadata'; // errors.ts (ErrorCode) declares type-graphql types
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '../config.js';
import type { RequestContext } from './context.js';
import { ErrorCode } from './errors.js';
import type { Principal } from '../permissions/principal.js';

/**
 * The RATE_LIMITED error: `extensions.retryAfterSeconds` for clients, and (through Apollo's `extensions.http`)
 * HTTP status 429 with a `Retry-After` header — also when a resolver throws it.
 */
export function rateLimitedError(retryAfterSeconds: number, message: string): GraphQLError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new GraphQLError(`${message} Retry in ${seconds} s.`, {
    extensions: {
      code: ErrorCode.RATE_LIMITED,
      retryAfterSeconds: seconds,
      http: { status: 429, headers: new HeaderMap([['retry-after', String(seconds)]]) },
    },
  });
}

/** rate-limiter-flexible rejects with a RateLimiterRes when a key is over its limit, and with an Error on failure. */
export async function consumeOrNull(limiter: RateLimiterMemory, key: string, points = 1): Promise<RateLimiterRes | null> {
  try {
    await limiter.consume(key, points);
    return null;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return rejection;
    throw rejection;
  }
}

/** Who a request counts against: its API key, else its user, else its client IP. */
export function principalKey(principal: Principal, ip: string): string {
  if (principal.apiKeyId) return `key:${principal.apiKeyId}`;
  if (principal.userId) return `user:${principal.userId}`;
  return `ip:${ip}`;
}

/**
 * Per-principal limit on GraphQL requests (RATE_LIMIT_PER_MINUTE; 0 = off). In-memory: each server process counts on
 * its own, so N processes behind a load balancer admit up to N × the limit.
 *
 * Every request that reaches Apollo with a context is counted (malformed and invalid operations too); an over-limit
 * request is refused once its operation is known (`didResolveOperation`, before any resolver runs), which goes
 * through Apollo's normal error path so `willSendResponse` still ends the request's database session.
 */
export function principalRateLimitPlugin(config: AppConfig): ApolloServerPlugin<RequestContext> | null {
  if (config.RATE_LIMIT_PER_MINUTE <= 0) return null;
  const limiter = new RateLimiterMemory({ keyPrefix: 'graphql', points: config.RATE_LIMIT_PER_MINUTE, duration: 60 });
  return {
    async requestDidStart({ contextValue }) {
      if (!contextValue.principal) return;
      const over = await consumeOrNull(limiter, principalKey(contextValue.principal, contextValue.ip));
      if (!over) return;
      return {
        async didResolveOperation() {
          throw rateLimitedError(over.msBeforeNext / 1000, `Too many requests: at most ${config.RATE_LIMIT_PER_MINUTE} a minute.`);
        },
      };
    },
  };
}
