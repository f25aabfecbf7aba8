import { randomBytes } from 'node:crypto';
import { Keyring, attachKeyring, signToken, verifyToken } from '../../src/core/encryption/index.js';

/** Signed tokens for public links: rotation, purpose separation, and hostile input answered with null. */
const key = (id: string) => ({ id, key: randomBytes(32) });
const k1 = key('k1');
const k2 = key('k2');
const app = (...keys: { id: string; key: Buffer }[]) => {
  const holder = { config: {} };
  attachKeyring(holder, new Keyring(keys));
  return holder;
};

test('a token verifies for its purpose only, and carries its data', () => {
  const holder = app(k1);
  const token = signToken(holder, 'campaigns.open', 'send-1.3');
  expect(token).toMatch(/^k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  expect(token.length).toBeLessThan(60);
  expect(verifyToken(holder, 'campaigns.open', token)).toBe('send-1.3');
  expect(verifyToken({ em: holder }, 'campaigns.open', token)).toBe('send-1.3');
  expect(verifyToken(holder, 'campaigns.unsubscribe', token)).toBeNull();
});

test('rotation: an old key still verifies once a new one is added; a removed key no longer does', () => {
  const old = signToken(app(k1), 'p.open', 'data');
  const rotated = app(k2, k1);
  expect(verifyToken(rotated, 'p.open', old)).toBe('data');
  expect(signToken(rotated, 'p.open', 'data').startsWith('k2.')).toBe(true);
  expect(verifyToken(app(k2), 'p.open', old)).toBeNull();
  // another keyring with the same key id but other bytes
  expect(verifyToken(app(key('k1')), 'p.open', old)).toBeNull();
});

test('any alteration, truncation or garbage is null, never a throw', () => {
  const holder = app(k1);
  const token = signToken(holder, 'p.open', 'abc');
  const variants = [
    token.slice(0, -1),
    token.slice(1),
    `${token}A`,
    token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
    token.replace(/.$/, (c) => (c === 'A' ? 'D' : 'A')),
    `k1.${Buffer.from('abd').toString('base64url')}.${token.split('.')[2]}`,
    `k9.${token.split('.').slice(1).join('.')}`,
    '',
    '...',
    'k1..',
    '\u0000',
    'x'.repeat(100_000),
    `${token}\n`,
  ];
  for (const variant of variants) expect(verifyToken(holder, 'p.open', variant)).toBeNull();
  for (const value of [null, undefined, 42, {}, ['a']]) expect(verifyToken(holder, 'p.open', value)).toBeNull();
});

test('a bad purpose or oversized data is a programming error', () => {
  const holder = app(k1);
  expect(() => signToken(holder, 'Bad Purpose', 'x')).toThrow(/purpose/);
  expect(() => signToken(holder, 'p.open', 'x'.repeat(513))).toThrow(/at most 512/);
});
