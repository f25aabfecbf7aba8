import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '../../config.js';
import { consumeOrNull, rateLimitedError } from '../../graphql/rate-limit.js';

/**
 * Brute-force throttling of sign-in (rate-limiter-flexible, in memory: each server process counts on its own).
 *
 * Failed attempts are counted in fixed windows of LOGIN_THROTTLE_WINDOW_SECONDS per client IP
 * (LOGIN_MAX_FAILURES_PER_IP) and per email address (LOGIN_MAX_FAILURES_PER_EMAIL, case-insensitive). Call
 * `assertLoginAllowed` before checking any credential, then `noteLoginFailure` when the credential was wrong or
 * `noteLoginSuccess` when it was right.
 *
 * Attempts still in flight count too: `assertLoginAllowed` first takes an in-flight slot (an atomic increment),
 * then compares recorded failures + in-flight attempts with the limit — so a burst of parallel guesses cannot all
 * pass the check before the first failure is recorded. A slot is given back by either `note…` call, or lapses after
 * IN_FLIGHT_SECONDS when neither comes (e.g. an attempt that ended in another error).
 *
 * A success forgets the email's failures but not the IP's (one valid account must not reset an attacker's budget).
 * The per-email limit also locks the real owner out for the window while someone guesses their password: the
 * usual trade-off of per-account throttling.
 */
export interface LoginThrottleLimits {
  maxFailuresPerIp: number;
  maxFailuresPerEmail: number;
  windowSeconds: number;
}

export const defaultLoginThrottleLimits: LoginThrottleLimits = { maxFailuresPerIp: 30, maxFailuresPerEmail: 10, windowSeconds: 15 * 60 };

const IN_FLIGHT_SECONDS = 30;

export class LoginThrottle {
  private readonly byIp: RateLimiterMemory;
  private readonly byEmail: RateLimiterMemory;
  /** Attempts between assertAllowed and their note…: counted, never refused by this limiter itself. */
  private readonly inFlight = new RateLimiterMemory({
    keyPrefix: 'login-in-flight',
    points: Number.MAX_SAFE_INTEGER,
    duration: IN_FLIGHT_SECONDS,
  });

  constructor(readonly limits: LoginThrottleLimits = defaultLoginThrottleLimits) {
    this.byIp = new RateLimiterMemory({ keyPrefix: 'login-ip', points: limits.maxFailuresPerIp, duration: limits.windowSeconds });
    this.byEmail = new RateLimiterMemory({ keyPrefix: 'login-email', points: limits.maxFailuresPerEmail, duration: limits.windowSeconds });
  }

  /** Throws RATE_LIMITED (HTTP 429, Retry-After) when this IP or this email failed too often in the window. */
  async assertAllowed(ip: string, email: string): Promise<void> {
    const keys = slots(ip, email);
    const [ipFlight, emailFlight] = await Promise.all([this.inFlight.consume(keys.ip), this.inFlight.consume(keys.email)]);
    const [ipFailures, emailFailures] = await Promise.all([this.byIp.get(ip), this.byEmail.get(emailKey(email))]);
    const over = (failures: RateLimiterRes | null, flight: RateLimiterRes, max: number) =>
      (failures?.consumedPoints ?? 0) + flight.consumedPoints > max;
    const retryAfter = (failures: RateLimiterRes | null, flight: RateLimiterRes) => (failures ?? flight).msBeforeNext / 1000;
    if (over(ipFailures, ipFlight, this.limits.maxFailuresPerIp)) {
      await this.release(ip, email);
      throw rateLimitedError(retryAfter(ipFailures, ipFlight), 'Too many sign-in attempts from this address.');
    }
    if (over(emailFailures, emailFlight, this.limits.maxFailuresPerEmail)) {
      await this.release(ip, email);
      throw rateLimitedError(retryAfter(emailFailures, emailFlight), 'Too many failed sign-in attempts for this account.');
    }
  }

  /** The attempt failed: one more failure for the IP and the email. */
  async noteFailure(ip: string, email: string): Promise<void> {
    await this.release(ip, email);
    await Promise.all([consumeOrNull(this.byIp, ip), consumeOrNull(this.byEmail, emailKey(email))]);
  }

  /** The attempt succeeded: the email's failures are forgotten (the IP's are not). */
  async noteSuccess(ip: string, email: string): Promise<void> {
    await this.release(ip, email);
    await this.byEmail.delete(emailKey(email));
  }

  private async release(ip: string, email: string): Promise<void> {
    const keys = slots(ip, email);
    await Promise.all([giveBack(this.inFlight, keys.ip), giveBack(this.inFlight, keys.email)]);
  }
}

const slots = (ip: string, email: string) => ({ ip: `ip:${ip}`, email: `email:${emailKey(email)}` });

/** Gives back one point, never below zero (the window may have restarted since it was taken). */
async function giveBack(limiter: RateLimiterMemory, key: string): Promise<void> {
  const state = await limiter.get(key);
  if (state && state.consumedPoints > 0) await limiter.reward(key, 1);
}

const emailKey = (email: string) => email.trim().toLowerCase();

let current = new LoginThrottle();

/** Sets this process's limits from configuration (createApp calls it) and starts counting afresh. */
export function configureLoginThrottle(
  config: Pick<AppConfig, 'LOGIN_MAX_FAILURES_PER_IP' | 'LOGIN_MAX_FAILURES_PER_EMAIL' | 'LOGIN_THROTTLE_WINDOW_SECONDS'>,
): LoginThrottle {
  current = new LoginThrottle({
    maxFailuresPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
    maxFailuresPerEmail: config.LOGIN_MAX_FAILURES_PER_EMAIL,
    windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS,
  });
  return current;
}

/** Throws a RATE_LIMITED GraphQL error (with extensions.retryAfterSeconds, HTTP 429 + Retry-After) when this IP or email tried too often. */
export async function assertLoginAllowed(ip: string, email: string): Promise<void> {
  await current.assertAllowed(ip, email);
}

/** Counts a failed attempt against the IP and the email. */
export async function noteLoginFailure(ip: string, email: string): Promise<void> {
  await current.noteFailure(ip, email);
}

/** Clears the email's failure count after a successful sign-in. */
export async function noteLoginSuccess(ip: string, email: string): Promise<void> {
  await current.noteSuccess(ip, email);
}
