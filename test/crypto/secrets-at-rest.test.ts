import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { loadConfig, type AppConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openAppDatabase } from '../../src/app/database.js';
import { createApp } from '../../src/app/http-app.js';
import { hashPassword } from '../../src/core/auth/passwords.js';
import { Keyring, keyringFrom, rotateEncryption, type RotationReport } from '../../src/core/encryption/index.js';
import { parseGlobalId } from '../../src/graphql/global-id.js';
import type { Orm } from '../../src/db/orm.js';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { databaseUrl, type GraphQLResponse } from '../support/harness.js';
import { freshDatabase } from '../support/server-process.js';
import { Receiver, verifies } from '../webhooks/receiver.js';

/**
 * Secrets at rest across key rotation, on one database that three app generations open in turn (as a redeploy
 * would): k1 alone → k2,k1 (old values still decrypt; `rotateEncryption` rewrites everything under k2) → k2 alone.
 * TOTP seeds and webhook signing secrets are read raw with SQL (never the secret), sign-in with a TOTP code works in
 * every generation, and webhook pings to a real receiver verify with the endpoint's secrets. Plain values stored
 * before encryption at rest keep working and are encrypted by the rotation.
 * PGlite: a database directory of the file's own; PostgreSQL: a database of its own.
 */
const url = databaseUrl();
let dbUrl: string | undefined;
let dir: string | undefined;
let receiver: Receiver;
const K1 = `k1:${randomBytes(32).toString('base64')}`;
const K2 = `k2:${randomBytes(32).toString('base64')}`;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  if (url) dbUrl = await freshDatabase(url, 'crypto_at_rest');
  else dir = mkdtempSync(join(tmpdir(), 'crm-crypto-'));
  receiver = await new Receiver().start();
}, 120_000);
afterAll(async () => {
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Generation {
  config: AppConfig;
  orm: Orm;
  raw<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  gql(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse>;
  close(): Promise<void>;
}

/** The app on the file's database, configured with ENCRYPTION_KEY = `keys`. */
async function generation(keys: string): Promise<Generation> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ENCRYPTION_KEY: keys,
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    ...(dbUrl ? { DATABASE_URL: dbUrl } : { PGLITE_DIR: dir! }),
  });
  const database = await openAppDatabase({ url: dbUrl, pgliteDir: dbUrl ? undefined : dir, poolMax: 2 });
  const app = await createApp({
    orm: database.orm,
    config,
    logger: createLogger(config),
    workWebhooks: false,
    recoverWebhooks: false,
    workAutomation: false,
    workEmail: false,
    workNotifications: false,
  });
  return {
    config,
    orm: database.orm,
    raw: (sql, params = []) => (database.owner.em.fork() as SqlEntityManager).execute(sql, params as never[]),
    async gql(query, variables, token) {
      const response = await app.http.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        payload: JSON.stringify({ query, variables }),
      });
      return JSON.parse(response.body) as GraphQLResponse;
    },
    async close() {
      await app.close();
      await database.close();
    },
  };
}

const code = (secret: string, offsetSeconds = 0) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + offsetSeconds * 1000 });
const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { accessToken } }`;
const PING = `mutation($id: ID!) { testWebhookEndpoint(id: $id) { succeeded delivery { id } userErrors { message } } }`;

/** What the first generation made, for the later ones. */
const made = {
  slug: `crypto-${randomUUID().slice(0, 8)}`,
  users: {} as Record<'enrolled' | 'legacy' | 'copied', { id: string; email: string; secret: string }>,
  endpoint: { id: '', rawId: '', secret: '', previous: '' },
  legacyEndpoint: { id: '', rawId: '', secret: '' },
};

async function addUser(g: Generation, workspaceId: string, name: string) {
  const id = randomUUID();
  const email = `${name}@${made.slug}.test`;
  await g.raw(`insert into app_user (id, email, name, password_hash, created_at, updated_at) values (?, ?, ?, ?, now(), now())`, [
    id,
    email,
    name,
    await hashPassword(PASSWORD),
  ]);
  await g.raw(`insert into membership (id, workspace_id, user_id, role, created_at, updated_at) values (?, ?, ?, 'ADMIN', now(), now())`, [
    randomUUID(),
    workspaceId,
    id,
  ]);
  return { id, email };
}

async function signIn(g: Generation, email: string, totpCode?: string): Promise<GraphQLResponse> {
  return g.gql(SIGN_IN, { input: { email, password: PASSWORD, workspace: made.slug, ...(totpCode ? { totpCode } : {}) } });
}

/** Signs in with the user's current TOTP code (its last accepted step forgotten first: each code works once). */
async function signInWithTotp(g: Generation, user: { id: string; email: string; secret: string }): Promise<string> {
  await g.raw('update app_user set totp_last_step = null where id = ?', [user.id]);
  const res = await signIn(g, user.email, code(user.secret));
  expect(res.errors).toBeUndefined();
  return res.data!.signIn.accessToken;
}

async function rawTotp(g: Generation, userId: string): Promise<string> {
  return (await g.raw<{ s: string }>('select totp_secret as s from app_user where id = ?', [userId]))[0]!.s;
}

async function rawEndpoint(g: Generation, rawId: string): Promise<{ secret: string; previous_secret: string | null }> {
  return (await g.raw('select secret, previous_secret from webhook_endpoint where id = ?', [rawId]))[0];
}

/** Pings the endpoint and returns the request the receiver got. */
async function ping(g: Generation, token: string, endpointId: string, path: string) {
  const before = receiver.at(path).length;
  const res = await g.gql(PING, { id: endpointId }, token);
  expect(res.errors).toBeUndefined();
  expect(res.data!.testWebhookEndpoint).toMatchObject({ succeeded: true, userErrors: [] });
  expect(receiver.at(path)).toHaveLength(before + 1);
  return receiver.at(path)[before]!;
}

const counts = (report: RotationReport) =>
  Object.fromEntries(report.columns.map((c) => [`${c.table}.${c.column}`, [c.reencrypted, c.encrypted, c.failed]]));

describe('secrets at rest, across a key rotation', () => {
  it('generation 1 (k1): TOTP seeds and webhook secrets are stored encrypted, and work', async () => {
    const g = await generation(K1);
    try {
      const workspaceId = randomUUID();
      await g.raw(`insert into workspace (id, name, slug, created_at, updated_at) values (?, ?, ?, now(), now())`, [
        workspaceId,
        made.slug,
        made.slug,
      ]);
      // a member enrols in two-factor through the API
      const enrolled = await addUser(g, workspaceId, 'enrolled');
      const token = (await signIn(g, enrolled.email)).data!.signIn.accessToken;
      const enrolment = await g.gql('mutation { enrollTotp { secret } }', {}, token);
      const secret: string = enrolment.data!.enrollTotp.secret;
      const confirmed = await g.gql(
        'mutation($c: String!) { confirmTotp(input: { code: $c }) { userErrors { message } } }',
        { c: code(secret) },
        token,
      );
      expect(confirmed.data!.confirmTotp.userErrors).toEqual([]);
      made.users.enrolled = { ...enrolled, secret };

      // the table holds ciphertext under k1, not the seed
      const stored = await rawTotp(g, enrolled.id);
      expect(stored).toMatch(/^enc:v1:k1:/);
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(secret.slice(0, 8));
      expect(keyringFrom(g.config).decrypt(stored, `app_user.totp_secret:${enrolled.id}`)).toBe(secret);
      // without the key it is unreadable: the same id with other bytes does not authenticate
      expect(() => new Keyring([{ id: 'k1', key: randomBytes(32) }]).decrypt(stored, `app_user.totp_secret:${enrolled.id}`)).toThrow(
        /does not authenticate/,
      );
      // sign-in with the next step's code works (the confirmation used this step's)
      expect((await signIn(g, enrolled.email)).errors![0]!.extensions).toMatchObject({ reason: 'TWO_FACTOR_REQUIRED' });
      expect((await signIn(g, enrolled.email, code(secret, 30))).errors).toBeUndefined();

      // a member whose seed was stored before encryption at rest (plain): still signs in
      const legacy = await addUser(g, workspaceId, 'legacy');
      const legacySecret = new Secret({ size: 20 }).base32;
      await g.raw('update app_user set totp_secret = ?, totp_enabled_at = now() where id = ?', [legacySecret, legacy.id]);
      made.users.legacy = { ...legacy, secret: legacySecret };
      await signInWithTotp(g, made.users.legacy);

      // a ciphertext copied into another member's row does not decrypt there: the sign-in fails, nobody is signed in
      const copied = await addUser(g, workspaceId, 'copied');
      await g.raw('update app_user set totp_secret = ?, totp_enabled_at = now() where id = ?', [stored, copied.id]);
      made.users.copied = { ...copied, secret };
      const refused = await signIn(g, copied.email, code(secret));
      expect(refused.data?.signIn ?? null).toBeNull();
      expect(refused.errors![0]!.extensions!.code).toBe('INTERNAL_SERVER_ERROR');

      // webhook endpoint: created, then rotated with an overlap (both secrets sign)
      const created = await g.gql(
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } userErrors { message } } }`,
        { input: { url: receiver.url('/current'), eventTypes: ['contact.created'] } },
        token,
      );
      const endpointId: string = created.data!.createWebhookEndpoint.endpoint.id;
      const rotated = await g.gql(
        `mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapHours: 24) { secret userErrors { message } } }`,
        { id: endpointId },
        token,
      );
      expect(rotated.errors).toBeUndefined();
      made.endpoint = {
        id: endpointId,
        rawId: parseGlobalId(endpointId)!.id,
        secret: rotated.data!.rotateWebhookSecret.secret,
        previous: created.data!.createWebhookEndpoint.secret,
      };
      const raw = await rawEndpoint(g, made.endpoint.rawId);
      expect(raw.secret).toMatch(/^enc:v1:k1:/);
      expect(raw.previous_secret).toMatch(/^enc:v1:k1:/);
      for (const s of [made.endpoint.secret, made.endpoint.previous]) {
        expect(JSON.stringify(raw)).not.toContain(s.slice(6, 30));
      }
      const request = await ping(g, token, endpointId, '/current');
      expect(verifies(request, made.endpoint.secret)).toBe(true);
      expect(verifies(request, made.endpoint.previous)).toBe(true);

      // an endpoint whose secret was stored plain before encryption at rest still signs
      const second = await g.gql(
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }`,
        { input: { url: receiver.url('/legacy'), eventTypes: ['contact.created'] } },
        token,
      );
      const legacyId: string = second.data!.createWebhookEndpoint.endpoint.id;
      const legacyEndpointSecret = `whsec_${randomBytes(32).toString('base64')}`;
      made.legacyEndpoint = { id: legacyId, rawId: parseGlobalId(legacyId)!.id, secret: legacyEndpointSecret };
      await g.raw('update webhook_endpoint set secret = ? where id = ?', [legacyEndpointSecret, made.legacyEndpoint.rawId]);
      expect(verifies(await ping(g, token, legacyId, '/legacy'), legacyEndpointSecret)).toBe(true);
    } finally {
      await g.close();
    }
  });

  it('generation 2 (k2,k1): k1 values still decrypt; the rotation rewrites everything under k2, once', async () => {
    const g = await generation(`${K2},${K1}`);
    try {
      const token = await signInWithTotp(g, made.users.enrolled);
      await signInWithTotp(g, made.users.legacy);
      const request = await ping(g, token, made.endpoint.id, '/current');
      expect(verifies(request, made.endpoint.secret) && verifies(request, made.endpoint.previous)).toBe(true);
      // what is written now is under k2: a member enrolling now
      const [workspace] = await g.raw<{ id: string }>('select id from workspace where slug = ?', [made.slug]);
      const fresh = await addUser(g, workspace!.id, 'fresh');
      const freshToken = (await signIn(g, fresh.email)).data!.signIn.accessToken;
      const enrolment = await g.gql('mutation { enrollTotp { secret } }', {}, freshToken);
      const freshSecret: string = enrolment.data!.enrollTotp.secret;
      await g.gql('mutation($c: String!) { confirmTotp(input: { code: $c }) { recoveryCodes } }', { c: code(freshSecret) }, freshToken);
      expect(await rawTotp(g, fresh.id)).toMatch(/^enc:v1:k2:/);
      await signInWithTotp(g, { ...fresh, secret: freshSecret });

      const report = await rotateEncryption(g.orm, keyringFrom(g.config), { batchSize: 1 });
      expect(report.keyId).toBe('k2');
      // [re-encrypted, encrypted from plain, failed]: the copied ciphertext cannot be decrypted in its row and is left alone
      expect(counts(report)).toEqual({
        'app_user.totp_secret': [1, 1, 1],
        'webhook_endpoint.secret': [1, 1, 0],
        'webhook_endpoint.previous_secret': [1, 0, 0],
      });
      expect(report.failures).toEqual([
        `app_user.totp_secret:${made.users.copied.id}: the encrypted value does not authenticate under key "k1" (altered, or copied from another row or column)`,
      ]);
      for (const user of [made.users.enrolled, made.users.legacy]) {
        const stored = await rawTotp(g, user.id);
        expect(stored).toMatch(/^enc:v1:k2:/);
        expect(stored).not.toContain(user.secret);
      }
      for (const rawId of [made.endpoint.rawId, made.legacyEndpoint.rawId])
        expect((await rawEndpoint(g, rawId)).secret).toMatch(/^enc:v1:k2:/);
      expect((await rawEndpoint(g, made.endpoint.rawId)).previous_secret).toMatch(/^enc:v1:k2:/);
      expect(await rawTotp(g, made.users.copied.id)).toMatch(/^enc:v1:k1:/);

      // idempotent: once the bad row is cleared, a second run has nothing to do
      await g.raw('update app_user set totp_secret = null, totp_enabled_at = null where id = ?', [made.users.copied.id]);
      const second = await rotateEncryption(g.orm, keyringFrom(g.config));
      expect([second.reencrypted, second.encrypted, second.failed]).toEqual([0, 0, 0]);
    } finally {
      await g.close();
    }
  });

  it('generation 3 (k2 alone): everything still works; k1 alone could no longer read it', async () => {
    const g = await generation(K2);
    try {
      const token = await signInWithTotp(g, made.users.enrolled);
      await signInWithTotp(g, made.users.legacy);
      const request = await ping(g, token, made.endpoint.id, '/current');
      expect(verifies(request, made.endpoint.secret) && verifies(request, made.endpoint.previous)).toBe(true);
      expect(verifies(await ping(g, token, made.legacyEndpoint.id, '/legacy'), made.legacyEndpoint.secret)).toBe(true);
      // a rotation of the endpoint's secret now (the previous one moves to previous_secret under k2)
      const rotated = await g.gql(
        `mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapHours: 1) { secret } }`,
        { id: made.endpoint.id },
        token,
      );
      const newest: string = rotated.data!.rotateWebhookSecret.secret;
      const after = await ping(g, token, made.endpoint.id, '/current');
      expect(verifies(after, newest) && verifies(after, made.endpoint.secret)).toBe(true);
      expect(verifies(after, made.endpoint.previous)).toBe(false);

      const stored = await rawTotp(g, made.users.enrolled.id);
      expect(() =>
        keyringFrom({ NODE_ENV: 'test', ENCRYPTION_KEY: K1 }).decrypt(stored, `app_user.totp_secret:${made.users.enrolled.id}`),
      ).toThrow(/encrypted under key "k2", which ENCRYPTION_KEY does not list \(it lists k1\)/);
    } finally {
      await g.close();
    }
  });
});
