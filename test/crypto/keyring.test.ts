import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseEncryptionKeys } from '../../src/config.js';
import { DecryptionError, Keyring, keyIdOf, keyringFrom } from '../../src/core/encryption/index.js';
import { databaseUrl } from '../support/harness.js';

/** ENCRYPTION_KEY's format and start-up checks, and the keyring's AES-256-GCM values (no database). */
const newKey = () => randomBytes(32).toString('base64');
const PROD = { NODE_ENV: 'production', JWT_SECRET: 'j'.repeat(40) };

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('ENCRYPTION_KEY at start-up', () => {
  it('is required in production: unset or blank refuses, with how to make one', () => {
    for (const env of [PROD, { ...PROD, ENCRYPTION_KEY: '' }, { ...PROD, ENCRYPTION_KEY: '  ' }]) {
      const message = configError(env);
      expect(message).toMatch(/ENCRYPTION_KEY: is required in production/);
      expect(message).toContain("randomBytes(32).toString('base64')");
    }
    // with one, production starts
    const key = newKey();
    expect(loadConfig({ ...PROD, ENCRYPTION_KEY: `k1:${key}` }).ENCRYPTION_KEY).toBe(`k1:${key}`);
    // a caller that builds its configuration itself is refused too
    expect(() => keyringFrom({ NODE_ENV: 'production', ENCRYPTION_KEY: undefined })).toThrow(ConfigError);
  });

  it('refuses a malformed key, in every environment, without echoing key material', () => {
    const short = randomBytes(16).toString('base64');
    const cases: [string, RegExp][] = [
      [newKey(), /must be id:base64/],
      [`k1:${short}`, /key "k1" must be 32 bytes in base64/],
      [`k1:${newKey()}!!`, /key "k1" must be 32 bytes/],
      [`k1:`, /key "k1" must be 32 bytes/],
      [`bad id:${newKey()}`, /key id must be 1–32 letters/],
      [`k1:${newKey()},k1:${newKey()}`, /entry 2: the key id "k1" is listed twice/],
      [`dev:${newKey()}`, /reserved for the development key/],
      ['dev', /development key cannot be the newest/],
      [',', /at least one key/],
    ];
    for (const [value, expected] of cases) {
      for (const env of [{ ENCRYPTION_KEY: value }, { ...PROD, ENCRYPTION_KEY: value }]) {
        const message = configError(env);
        expect(message).toMatch(/ENCRYPTION_KEY: /);
        expect(message).toMatch(expected);
        for (const part of value.split(/[,:]/).filter((p) => p.length > 20)) expect(message).not.toContain(part);
      }
    }
  });

  it('reads several keys, newest first; the development key only outside production', () => {
    const [a, b] = [newKey(), newKey()];
    const keys = parseEncryptionKeys(` k2:${b} , k1:${a.replace(/=$/, '').replaceAll('+', '-').replaceAll('/', '_')} `);
    expect(keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(keys[1]!.key.equals(Buffer.from(a, 'base64'))).toBe(true);
    expect(keyringFrom({ NODE_ENV: 'test', ENCRYPTION_KEY: `k2:${b},k1:${a}` })).toMatchObject({ currentId: 'k2', development: false });
    expect(keyringFrom({ NODE_ENV: 'development', ENCRYPTION_KEY: undefined })).toMatchObject({ currentId: 'dev', development: true });
    // `dev` as an older key decrypts what a setup without a key wrote — not in production
    expect(loadConfig({ ENCRYPTION_KEY: `k1:${a},dev` }).ENCRYPTION_KEY).toBe(`k1:${a},dev`);
    const written = Keyring.development().encrypt('JBSWY3DPEHPK3PXP', 'app_user.totp_secret:x');
    const keeping = keyringFrom({ NODE_ENV: 'development', ENCRYPTION_KEY: `k1:${a},dev` });
    expect(keeping.decrypt(written, 'app_user.totp_secret:x')).toBe('JBSWY3DPEHPK3PXP');
    expect(keyIdOf(keeping.encrypt('JBSWY3DPEHPK3PXP', 'app_user.totp_secret:x'))).toBe('k1');
    expect(configError({ ...PROD, ENCRYPTION_KEY: `k1:${a},dev` })).toMatch(/production may not list the development key/);
  });

  // the built server (dist/): test/support/global-setup.mjs builds it on PostgreSQL runs only
  (databaseUrl() ? it : it.skip)('the built server refuses to start in production without a key, or with a malformed one', () => {
    const server = join(import.meta.dirname, '..', '..', 'dist', 'src', 'server.js');
    const short = randomBytes(16).toString('base64');
    for (const [key, expected] of [
      [undefined, /ENCRYPTION_KEY: is required in production/],
      [`k1:${short}`, /ENCRYPTION_KEY: key "k1" must be 32 bytes/],
    ] as const) {
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        ...PROD,
        PORT: '0',
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      };
      if (key) env.ENCRYPTION_KEY = key;
      const run = spawnSync(process.execPath, [server], { env, encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(expected);
      expect(run.stderr).not.toContain(short);
    }
  });
});

describe('the keyring', () => {
  const k1 = { id: 'k1', key: randomBytes(32) };
  const k2 = { id: 'k2', key: randomBytes(32) };
  const context = 'app_user.totp_secret:4b8c0c2e-0000-4000-8000-000000000001';

  it('encrypts with a fresh IV each time, in a self-describing format, and decrypts', () => {
    const ring = new Keyring([k1]);
    const a = ring.encrypt('JBSWY3DPEHPK3PXP', context);
    const b = ring.encrypt('JBSWY3DPEHPK3PXP', context);
    expect(a).toMatch(/^enc:v1:k1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('JBSWY3DP');
    expect(keyIdOf(a)).toBe('k1');
    expect(ring.decrypt(a, context)).toBe('JBSWY3DPEHPK3PXP');
    // hostile plain text round-trips
    const odd = 'nul\u0000 ctrl\u0007 ünïcødé 🙂 '.repeat(500);
    expect(ring.decrypt(ring.encrypt(odd, context), context)).toBe(odd);
    expect(ring.decrypt(ring.encrypt('', context), context)).toBe('');
  });

  it('the newest key encrypts, every listed key decrypts; a key not listed is named in the error', () => {
    const old = new Keyring([k1]).encrypt('secret one', context);
    const both = new Keyring([k2, k1]);
    expect(both.decrypt(old, context)).toBe('secret one');
    expect(both.isCurrent(old)).toBe(false);
    const fresh = both.encrypt('secret two', context);
    expect(keyIdOf(fresh)).toBe('k2');
    expect(both.isCurrent(fresh)).toBe(true);
    expect(() => new Keyring([k2]).decrypt(old, context)).toThrow(
      new DecryptionError(`${context}: encrypted under key "k1", which ENCRYPTION_KEY does not list (it lists k2)`),
    );
    // the same id with other key bytes: not readable without the right key
    expect(() => new Keyring([{ id: 'k1', key: randomBytes(32) }]).decrypt(old, context)).toThrow(/does not authenticate under key "k1"/);
  });

  it('refuses a tampered value, or one copied to another row or column, with a clear error', () => {
    const ring = new Keyring([k1]);
    const stored = ring.encrypt('whsec_abcdefghijklmnopqrstuvwxyz', context);
    const [pre, iv, tag, ct] = [stored.split(':').slice(0, 3).join(':'), ...stored.split(':').slice(3)] as string[];
    const flip = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0]! ^= 1;
      return bytes.toString('base64url');
    };
    for (const tampered of [`${pre}:${iv}:${tag}:${flip(ct!)}`, `${pre}:${iv}:${flip(tag!)}:${ct}`, `${pre}:${flip(iv!)}:${tag}:${ct}`])
      expect(() => ring.decrypt(tampered, context)).toThrow(
        /does not authenticate under key "k1" \(altered, or copied from another row or column\)/,
      );
    expect(() => ring.decrypt(stored, 'app_user.totp_secret:4b8c0c2e-0000-4000-8000-000000000002')).toThrow(DecryptionError);
    expect(() => ring.decrypt(stored, 'webhook_endpoint.secret:4b8c0c2e-0000-4000-8000-000000000001')).toThrow(DecryptionError);
    for (const malformed of [
      'enc:v1:k1:',
      'enc:v1:k1:a:b',
      `${stored}:extra`,
      'enc:v1:k1:!!:??:..',
      `${pre}:${iv!.slice(0, 8)}:${tag}:${ct}`,
    ])
      expect(() => ring.decrypt(malformed, context)).toThrow(/malformed/);
    expect(() => ring.decrypt('enc:v9:k1:a:b:c', context)).toThrow(/unknown format/);
  });

  it('reads a plain value stored before encryption as it is', () => {
    const ring = new Keyring([k1]);
    expect(ring.decrypt('JBSWY3DPEHPK3PXP', context)).toBe('JBSWY3DPEHPK3PXP');
    expect(ring.isCurrent('JBSWY3DPEHPK3PXP')).toBe(false);
  });
});
