import 'reflect-metadata';
import { loadConfig } from '../../src/config.js';
import { conditionsHold, matchesPattern, parseConditions, parsePatterns } from '../../src/core/webhooks/event-filters.js';
import { excerpt } from '../../src/core/webhooks/http-client.js';
import { visibleEventData } from '../../src/core/webhooks/payload.js';
import { MAX_ATTEMPTS, nextAttemptAt, retryAfterMs } from '../../src/core/webhooks/schedule.js';
import { signatureHeaders, signingSecrets } from '../../src/core/webhooks/signing.js';
import {
  blockedAddressReason,
  checkWebhookUrl,
  NO_ALLOWLIST,
  parseHostAllowlist,
  resolveWebhookTarget,
} from '../../src/core/webhooks/ssrf.js';
import { builtinRoles } from '../../src/permissions/builtin-roles.js';
import { accessOf } from '../../src/permissions/principal.js';
import { Webhook } from 'standardwebhooks';

/** The pure rules of webhooks: patterns, conditions, the schedule, signatures, the SSRF guard, payload shaping. */

describe('event type patterns and conditions', () => {
  it.each([
    ['*', 'contact.created', true],
    ['*', 'deal.stage.changed', true],
    ['contact.*', 'contact.created', true],
    ['contact.*', 'contact.lifecycleChanged', true],
    ['contact.*', 'company.created', false],
    ['contact.*', 'contact', false],
    ['*.created', 'company.created', true],
    ['*.created', 'contact.updated', false],
    ['deal.*', 'deal.stage.changed', true],
    ['*.created', 'deal.stage.created', false],
    ['deal.won', 'deal.won', true],
    ['deal.won', 'deal.lost', false],
    ['contact.created', 'contactXcreated', false],
  ])('%s matches %s: %s', (pattern, type, expected) => {
    expect(matchesPattern(pattern, type)).toBe(expected);
  });

  it('checks patterns and conditions', () => {
    expect(parsePatterns([' contact.* ', 'contact.*', '*'], 'eventTypes')).toEqual(['contact.*', '*']);
    for (const bad of [[], ['contact.'], ['.x'], ['Contact.created'], ['a b'], ['contact.**'], ['%'], [1], ['a.b.c.d.e.f.g']])
      expect(() => parsePatterns(bad, 'eventTypes')).toThrow();
    expect(parseConditions([{ field: 'contact.doNotEmail', equals: false }, { field: 'x' }], 'conditions')).toEqual([
      { field: 'contact.doNotEmail', equals: false },
      { field: 'x', equals: null },
    ]);
    for (const bad of [
      [{ field: '', equals: 1 }],
      [{ field: 'a', equals: [1] }],
      [{ field: 'a', equals: Number.NaN }],
      [{ field: 'a..b', equals: 1 }],
      Array.from({ length: 21 }, () => ({ field: 'a', equals: 1 })),
      'nope',
    ])
      expect(() => parseConditions(bad, 'conditions')).toThrow();
  });

  it('evaluates conditions on the payload: equality, list membership, absent as null', () => {
    const data = { contact: { lifecycleStage: 'CUSTOMER', tags: ['vip', 'eu'], owner: null }, changedFields: ['jobTitle'] };
    expect(conditionsHold([{ field: 'contact.lifecycleStage', equals: 'CUSTOMER' }], data)).toBe(true);
    expect(conditionsHold([{ field: 'contact.lifecycleStage', equals: 'LEAD' }], data)).toBe(false);
    expect(conditionsHold([{ field: 'contact.tags', equals: 'vip' }], data)).toBe(true);
    expect(conditionsHold([{ field: 'changedFields', equals: 'emails' }], data)).toBe(false);
    expect(conditionsHold([{ field: 'contact.missing', equals: null }], data)).toBe(true);
    expect(conditionsHold([{ field: 'contact.owner', equals: null }], data)).toBe(true);
    expect(conditionsHold([{ field: 'contact.__proto__', equals: null }], data)).toBe(true);
    expect(conditionsHold([], data)).toBe(true);
  });
});

describe('retry schedule', () => {
  const now = new Date('2026-12-07T10:00:00.000Z');
  const delayAfter = (attempt: number, header?: string) => (nextAttemptAt(attempt, now, header)?.getTime() ?? 0) - now.getTime();

  it('is 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 24 h, then nothing (eight attempts)', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => delayAfter(n) / 1000)).toEqual([5, 300, 1800, 7200, 18000, 36000, 86400]);
    expect(nextAttemptAt(MAX_ATTEMPTS, now)).toBeNull();
    expect(MAX_ATTEMPTS).toBe(8);
    expect(() => nextAttemptAt(0, now)).toThrow(RangeError);
  });

  it('lets a longer Retry-After (seconds or HTTP date) win, capped at 24 h; ignores unreadable ones', () => {
    expect(delayAfter(1, '60')).toBe(60_000);
    expect(delayAfter(2, '60')).toBe(300_000);
    expect(delayAfter(1, 'Mon, 07 Dec 2026 12:00:00 GMT')).toBe(2 * 3600_000);
    expect(delayAfter(1, 'Mon, 07 Dec 2026 09:00:00 GMT')).toBe(5000);
    expect(delayAfter(1, '9999999')).toBe(24 * 3600_000);
    expect(delayAfter(1, 'soon')).toBe(5000);
    expect(delayAfter(1, '-5')).toBe(5000);
    expect(retryAfterMs('12', now)).toBe(12_000);
    expect(retryAfterMs(null, now)).toBeNull();
    // exhausted stays exhausted, whatever Retry-After says
    expect(nextAttemptAt(8, now, '10')).toBeNull();
  });
});

describe('signatures', () => {
  it('are Standard Webhooks signatures, one per signing secret; the previous secret signs until its overlap ends', () => {
    const current = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const previous = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
    const now = new Date();
    const endpoint = { secret: current, previousSecret: previous, previousSecretExpiresAt: new Date(now.getTime() + 1000) };
    expect(signingSecrets(endpoint, now)).toEqual([current, previous]);
    expect(signingSecrets(endpoint, new Date(now.getTime() + 1000))).toEqual([current]);
    const body = JSON.stringify({ type: 'contact.created' });
    const headers = signatureHeaders('msg_1', now, body, [current, previous]);
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(now.getTime() / 1000)));
    for (const secret of [current, previous]) expect(new Webhook(secret).verify(body, headers)).toEqual({ type: 'contact.created' });
    expect(() => new Webhook(current).verify(`${body} `, headers)).toThrow();
  });
});

describe('SSRF guard', () => {
  it.each([
    ['8.8.8.8', null],
    ['2606:4700:4700::1111', null],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.32.0.1', null],
    ['192.168.255.255', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['0.0.0.0', 'reserved'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.51.100.7', 'documentation'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fdff::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a00:1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2001:db8::1', 'documentation'],
  ])('%s → %s', (address, reason) => {
    const found = blockedAddressReason(address);
    if (reason === null) expect(found).toBeNull();
    else expect(found).toContain(reason);
  });

  it('checks URLs on save: scheme, credentials, length, literal and canonicalized addresses, local names; the allowlist lifts it', () => {
    const problem = (url: string, allow = NO_ALLOWLIST) => checkWebhookUrl(url, allow).problem;
    expect(problem('https://hooks.example.com/in?x=1')).toBeNull();
    expect(checkWebhookUrl('HTTPS://Hooks.Example.com/in', NO_ALLOWLIST).url).toBe('https://hooks.example.com/in');
    expect(problem('gopher://example.com/')).toMatch(/http or https/);
    expect(problem('https://a:b@example.com/')).toMatch(/credentials/);
    expect(problem('https://a@example.com/')).toMatch(/credentials/);
    expect(problem(`https://example.com/${'x'.repeat(2048)}`)).toMatch(/2048/);
    expect(problem('https://example.com/\u0007')).toMatch(/control/);
    expect(problem(' https://example.com/')).toMatch(/spaces/);
    expect(problem('http://0x7f000001/')).toMatch(/loopback/);
    expect(problem('http://017700000001/')).toMatch(/loopback/);
    expect(problem('http://127.1/')).toMatch(/loopback/);
    expect(problem('http://[0:0:0:0:0:ffff:7f00:1]/')).toMatch(/loopback/);
    expect(problem('http://api.localhost/')).toMatch(/loopback/);
    const allow = parseHostAllowlist(['127.0.0.1', 'hooks.internal', '10.20.0.0/16', 'fd00::/8']);
    expect(problem('http://127.0.0.1:4000/', allow)).toBeNull();
    expect(problem('http://10.20.3.4/', allow)).toBeNull();
    expect(problem('http://10.21.3.4/', allow)).toMatch(/private/);
    expect(problem('http://[fd00::5]/', allow)).toBeNull();
    expect(problem('http://hooks.internal/', allow)).toBeNull();
  });

  it('checks every resolved address at send time, and connects to the checked one', async () => {
    const resolver = (addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    await expect(resolveWebhookTarget('https://hooks.example.com/', NO_ALLOWLIST, resolver(['93.184.216.34']))).resolves.toMatchObject({
      address: '93.184.216.34',
      family: 4,
    });
    await expect(
      resolveWebhookTarget('https://rebind.example.com/', NO_ALLOWLIST, resolver(['93.184.216.34', '127.0.0.1'])),
    ).rejects.toThrow(/resolves to a loopback address \(127\.0\.0\.1\)/);
    await expect(resolveWebhookTarget('https://v6.example.com/', NO_ALLOWLIST, resolver(['fd00::1']))).rejects.toThrow(/unique-local/);
    const allow = parseHostAllowlist(['internal.example.com']);
    await expect(resolveWebhookTarget('https://internal.example.com/', allow, resolver(['10.0.0.5']))).resolves.toMatchObject({
      address: '10.0.0.5',
    });
    await expect(
      resolveWebhookTarget('https://nx.example.com/', NO_ALLOWLIST, async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
      }),
    ).rejects.toThrow(/DNS lookup of nx\.example\.com failed: ENOTFOUND/);
  });

  it('reads WEBHOOK_ALLOWED_HOSTS from the configuration, refusing bad entries', () => {
    expect(loadConfig({ WEBHOOK_ALLOWED_HOSTS: ' 127.0.0.1, Hooks.Internal ,10.0.0.0/8,[::1]' }).WEBHOOK_ALLOWED_HOSTS).toEqual([
      '127.0.0.1',
      'hooks.internal',
      '10.0.0.0/8',
      '::1',
    ]);
    expect(loadConfig({}).WEBHOOK_ALLOWED_HOSTS).toEqual([]);
    for (const bad of ['10.0.0.0/33', 'http://x', 'a b', '1.2.3.4/8/9'])
      expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: bad })).toThrow(/WEBHOOK_ALLOWED_HOSTS/);
  });
});

describe('payloads', () => {
  it('leave out the role’s hidden fields wherever the payload carries them, and their storage columns', () => {
    const support = accessOf(builtinRoles.SUPPORT(), null, []);
    const created = visibleEventData(
      'company.created',
      {
        id: 'c1',
        company: { name: 'Acme', annualRevenueAmount: 5, annualRevenueCurrency: 'EUR', employeeCount: 9, phones: [], address: null },
      },
      support,
    );
    expect(created).toEqual({ id: 'c1', company: { name: 'Acme', address: null } });
    const updated = visibleEventData(
      'contact.updated',
      {
        id: 'p1',
        changedFields: ['phones', 'jobTitle'],
        changes: { phones: { before: [], after: [{ number: '1' }] }, jobTitle: { before: null, after: 'x' } },
      },
      support,
    );
    expect(updated).toEqual({ id: 'p1', changedFields: ['jobTitle'], changes: { jobTitle: { before: null, after: 'x' } } });
    const admin = accessOf(builtinRoles.ADMIN(), null, []);
    const payload = { id: 'p1', contact: { phones: [{ number: '1' }] } };
    expect(visibleEventData('contact.created', payload, admin)).toBe(payload);
  });

  it('excerpts keep at most 2 KB of UTF-8 and no NUL', () => {
    expect(excerpt('a\u0000b')).toBe('a\ufffdb');
    expect(Buffer.byteLength(excerpt('é'.repeat(5000)))).toBeLessThanOrEqual(2048);
    expect(excerpt('short')).toBe('short');
  });
});
