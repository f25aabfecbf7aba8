import { GraphQLError } from 'graphql';
import { loadConfig } from '../../src/config.js';
import {
  LoginThrottle,
  assertLoginAllowed,
  configureLoginThrottle,
  noteLoginFailure,
  noteLoginSuccess,
} from '../../src/core/auth/login-throttle.js';

/** The error an over-limit sign-in gets, or null when it was let through (and counted). */
async function attempt(throttle: LoginThrottle, ip: string, email: string): Promise<GraphQLError | null> {
  try {
    await throttle.assertAllowed(ip, email);
    return null;
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
}

async function fail(throttle: LoginThrottle, ip: string, email: string, times: number): Promise<(GraphQLError | null)[]> {
  const results: (GraphQLError | null)[] = [];
  for (let i = 0; i < times; i++) {
    const refused = await attempt(throttle, ip, email);
    if (!refused) await throttle.noteFailure(ip, email);
    results.push(refused);
  }
  return results;
}

describe('sign-in throttle', () => {
  it('has documented defaults: 30 failures per IP and 10 per email in 15 minutes', () => {
    const config = loadConfig({});
    expect([config.LOGIN_MAX_FAILURES_PER_IP, config.LOGIN_MAX_FAILURES_PER_EMAIL, config.LOGIN_THROTTLE_WINDOW_SECONDS]).toEqual([
      30, 10, 900,
    ]);
    expect(() => loadConfig({ LOGIN_MAX_FAILURES_PER_EMAIL: '0' })).toThrow(/LOGIN_MAX_FAILURES_PER_EMAIL/);
  });

  it('refuses an email after its failures, with RATE_LIMITED, retryAfterSeconds and HTTP 429 + Retry-After', async () => {
    const throttle = new LoginThrottle({ maxFailuresPerIp: 100, maxFailuresPerEmail: 3, windowSeconds: 600 });
    const results = await fail(throttle, '10.0.0.1', 'ada@example.test', 3);
    expect(results).toEqual([null, null, null]);
    const refused = await attempt(throttle, '10.0.0.2', 'ADA@example.test '); // other IP, same address in other case
    expect(refused).not.toBeNull();
    expect(refused!.extensions.code).toBe('RATE_LIMITED');
    const retryAfter = refused!.extensions.retryAfterSeconds as number;
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    const http = refused!.extensions.http as { status: number; headers: Map<string, string> };
    expect(http.status).toBe(429);
    expect(http.headers.get('retry-after')).toBe(String(retryAfter));
    // other accounts are unaffected
    expect(await attempt(throttle, '10.0.0.2', 'grace@example.test')).toBeNull();
  });

  it('refuses an IP after its failures, whatever the email', async () => {
    const throttle = new LoginThrottle({ maxFailuresPerIp: 4, maxFailuresPerEmail: 100, windowSeconds: 600 });
    for (let i = 0; i < 4; i++) expect(await fail(throttle, '10.0.0.9', `user${i}@example.test`, 1)).toEqual([null]);
    const refused = await attempt(throttle, '10.0.0.9', 'someone-new@example.test');
    expect(refused?.extensions.code).toBe('RATE_LIMITED');
    expect(refused?.message).toMatch(/from this address/);
    expect(await attempt(throttle, '10.0.0.10', 'someone-new@example.test')).toBeNull();
  });

  it('counts parallel attempts before any of them finishes (no burst slips past the check)', async () => {
    const throttle = new LoginThrottle({ maxFailuresPerIp: 100, maxFailuresPerEmail: 5, windowSeconds: 600 });
    const results = await Promise.all(Array.from({ length: 20 }, () => attempt(throttle, '10.0.1.1', 'burst@example.test')));
    expect(results.filter((r) => r === null)).toHaveLength(5);
    expect(results.filter((r) => r?.extensions.code === 'RATE_LIMITED')).toHaveLength(15);
  });

  it('forgets an email’s failures after a successful sign-in, but not the IP’s', async () => {
    const throttle = new LoginThrottle({ maxFailuresPerIp: 5, maxFailuresPerEmail: 3, windowSeconds: 600 });
    await fail(throttle, '10.0.2.1', 'lin@example.test', 2);
    expect(await attempt(throttle, '10.0.2.1', 'lin@example.test')).toBeNull();
    await throttle.noteSuccess('10.0.2.1', 'lin@example.test');
    // the email starts afresh: three more failures are allowed before it locks
    expect(await fail(throttle, '10.0.2.2', 'lin@example.test', 3)).toEqual([null, null, null]);
    expect((await attempt(throttle, '10.0.2.3', 'lin@example.test'))?.extensions.code).toBe('RATE_LIMITED');
    // the first IP keeps its two failures (the success was not counted): three more reach its limit of five
    expect(await fail(throttle, '10.0.2.1', 'other@example.test', 3)).toEqual([null, null, null]);
    expect((await attempt(throttle, '10.0.2.1', 'third@example.test'))?.message).toMatch(/from this address/);
  });

  it('lets sign-ins through again once the window has passed', async () => {
    const throttle = new LoginThrottle({ maxFailuresPerIp: 100, maxFailuresPerEmail: 1, windowSeconds: 1 });
    await fail(throttle, '10.0.3.1', 'max@example.test', 1);
    const refused = await attempt(throttle, '10.0.3.1', 'max@example.test');
    expect(refused?.extensions.retryAfterSeconds).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await attempt(throttle, '10.0.3.1', 'max@example.test')).toBeNull();
  });

  it('the module functions used by sign-in follow the configured limits', async () => {
    configureLoginThrottle(
      loadConfig({ LOGIN_MAX_FAILURES_PER_IP: '50', LOGIN_MAX_FAILURES_PER_EMAIL: '2', LOGIN_THROTTLE_WINDOW_SECONDS: '60' }),
    );
    for (let i = 0; i < 2; i++) {
      await assertLoginAllowed('10.0.4.1', 'mod@example.test');
      await noteLoginFailure('10.0.4.1', 'mod@example.test');
    }
    await expect(assertLoginAllowed('10.0.4.1', 'mod@example.test')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    await assertLoginAllowed('10.0.4.1', 'ok@example.test');
    await noteLoginSuccess('10.0.4.1', 'ok@example.test');
  });
});
