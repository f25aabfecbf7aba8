import { randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { printSchema } from 'graphql';
import { Secret, TOTP } from 'otpauth';
import { hashPassword } from '../../src/core/auth/passwords.js';
import { startTestServer, type GraphQLResponse, type TestServer, type TestWorkspace } from '../support/harness.js';

let server: TestServer;
beforeAll(async () => {
  // every request here comes from one IP: keep the brute-force throttle out of the way of this file's failures
  server = await startTestServer({ env: { LOGIN_MAX_FAILURES_PER_IP: '10000', LOGIN_MAX_FAILURES_PER_EMAIL: '10000' } });
});
afterAll(() => server.close());

const PASSWORD = 'correct horse battery staple';
const JWT_SECRET = 'crm-development-only-jwt-secret-change-me!';

const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) {
  accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt user { id email } workspace { slug } } }`;
const REFRESH = `mutation($t: String!) { refreshToken(input: { refreshToken: $t }) { accessToken refreshToken } }`;
const ME =
  '{ me { kind role roleName twoFactorEnabled user { email } workspace { slug } permissions { permission scope } hiddenFields { type fields } apiKey { name } } }';

async function setPassword(userId: string, password = PASSWORD) {
  await server.orm.em.getConnection().execute('update app_user set password_hash = ? where id = ?', [await hashPassword(password), userId]);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const code = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;

async function rows(sqlText: string, params: unknown[] = []): Promise<number> {
  const result = await server.orm.em.getConnection().execute<{ n: number }[]>(sqlText, params);
  return Number(result[0]!.n);
}
const sessions = (userId: string) => rows('select count(*)::int as n from auth_session where user_id = ?', [userId]);
const failedSignIns = (email: string) =>
  rows(`select count(*)::int as n from audit_log where action = 'auth.signInFailed' and metadata->>'email' = ?`, [email]);

async function signIn(ws: TestWorkspace, extra: Record<string, unknown> = {}) {
  return server.gql(SIGN_IN, { input: { email: ws.userEmail, password: PASSWORD, workspace: ws.slug, ...extra } });
}

async function signedIn(ws: TestWorkspace) {
  const res = await signIn(ws);
  expect(res.errors).toBeUndefined();
  return res.data!.signIn as { accessToken: string; refreshToken: string };
}

describe('signIn', () => {
  it('returns an access token (sub, wid, sid) and a refresh token that work', async () => {
    const ws = await server.newWorkspace();
    await setPassword(ws.userId);
    const before = await sessions(ws.userId);
    const res = await signIn(ws, { email: ws.userEmail.toUpperCase() });
    expect(res.errors).toBeUndefined();
    const payload = res.data!.signIn;
    expect(payload.user.email).toBe(ws.userEmail);
    expect(payload.workspace.slug).toBe(ws.slug);
    expect(payload.refreshToken).toMatch(/^crm_rt_[0-9a-f]{32}_[0-9a-f]{32}_/);
    const claims = decodeJwt(payload.accessToken);
    expect(claims).toMatchObject({ sub: ws.userId, wid: ws.id });
    expect(typeof claims.sid).toBe('string');
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(await sessions(ws.userId)).toBe(before + 1);

    const me = await server.gql(ME, {}, bearer(payload.accessToken));
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toMatchObject({
      kind: 'USER',
      role: 'ADMIN',
      user: { email: ws.userEmail },
      workspace: { slug: ws.slug },
      twoFactorEnabled: false,
    });
    expect(me.data!.me.permissions).toContainEqual({ permission: 'contact:read', scope: 'ALL' });
  });

  it('finds the workspace when the user has exactly one, and asks for it when several', async () => {
    const ws = await server.newWorkspace();
    await setPassword(ws.userId);
    const one = await server.gql(SIGN_IN, { input: { email: ws.userEmail, password: PASSWORD } });
    expect(one.data?.signIn.workspace.slug).toBe(ws.slug);

    const other = await server.newWorkspace();
    await server.orm.em
      .getConnection()
      .execute(`insert into membership (id, workspace_id, user_id, role, created_at, updated_at) values (?, ?, ?, 'SALES', now(), now())`, [
        randomUUID(),
        other.id,
        ws.userId,
      ]);
    const several = await server.gql(SIGN_IN, { input: { email: ws.userEmail, password: PASSWORD } });
    expect(several.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'WORKSPACE_REQUIRED' });
    const chosen = await server.gql(SIGN_IN, { input: { email: ws.userEmail, password: PASSWORD, workspace: other.slug } });
    expect(chosen.data?.signIn.workspace.slug).toBe(other.slug);
  });

  it('makes the creator of a new workspace its owner, who can then sign in to it', async () => {
    const ws = await server.newWorkspace();
    await setPassword(ws.userId);
    const slug = `new-${randomUUID().slice(0, 8)}`;
    const created = await ws.ok(
      `mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { workspace { slug } userErrors { message } } }`,
      { i: { name: 'Second', slug } },
    );
    expect(created.createWorkspace).toEqual({ workspace: { slug }, userErrors: [] });
    // the request went on in the caller's own workspace
    expect((await ws.ok(`{ workspace { slug } }`)).workspace.slug).toBe(ws.slug);
    const there = await server.gql(SIGN_IN, { input: { email: ws.userEmail, password: PASSWORD, workspace: slug } });
    expect(there.errors).toBeUndefined();
    const me = await server.gql(ME, {}, { authorization: `Bearer ${there.data!.signIn.accessToken}` });
    expect(me.data!.me).toMatchObject({ role: 'OWNER', workspace: { slug } });
    const taken = await ws.ok(
      `mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { workspace { slug } userErrors { code } } }`,
      { i: { name: 'Again', slug } },
    );
    expect(taken.createWorkspace).toEqual({ workspace: null, userErrors: [{ code: 'CONFLICT' }] });
  });

  it('refuses a wrong password, an unknown email and a foreign workspace alike, writing only the audit entry', async () => {
    const ws = await server.newWorkspace();
    const stranger = await server.newWorkspace();
    await setPassword(ws.userId);
    const before = await sessions(ws.userId);
    const unknownEmail = `nobody-${randomUUID()}@nowhere.test`;
    const attempts = [
      { email: ws.userEmail, password: 'wrong password!!', workspace: ws.slug },
      { email: unknownEmail, password: PASSWORD, workspace: ws.slug },
      { email: ws.userEmail, password: PASSWORD, workspace: stranger.slug },
      { email: ws.userEmail, password: PASSWORD, workspace: 'no-such-workspace' },
      { email: ws.userEmail, password: '', workspace: ws.slug },
    ];
    const messages = new Set<string>();
    for (const input of attempts) {
      const res = await server.gql(SIGN_IN, { input });
      expect(res.data ?? null).toBeNull();
      expect(code(res)).toBe('UNAUTHENTICATED');
      messages.add(res.errors![0]!.message);
    }
    expect(messages.size).toBe(1);
    expect(await sessions(ws.userId)).toBe(before);
    expect(await rows('select count(*)::int as n from auth_refresh_token where workspace_id in (?, ?)', [ws.id, stranger.id])).toBe(
      await rows('select count(*)::int as n from auth_session where workspace_id in (?, ?)', [ws.id, stranger.id]),
    );
    expect(await failedSignIns(ws.userEmail)).toBe(4);
    expect(await failedSignIns(unknownEmail)).toBe(1);
  });

  it('answers HTTP 401 with UNAUTHENTICATED for bad credentials in the Authorization header', async () => {
    const ws = await server.newWorkspace();
    const { accessToken } = await (async () => {
      await setPassword(ws.userId);
      return signedIn(ws);
    })();
    const [header, payload, signature] = accessToken.split('.');
    const claims = decodeJwt(accessToken);
    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, wid: randomUUID() })).toString('base64url');
    const key = (s: string) => new TextEncoder().encode(s);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ wid: ws.id, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('crm-kernel')
      .setSubject(ws.userId)
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 60)
      .sign(key(JWT_SECRET));
    const forged = await new SignJWT({ wid: ws.id, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('crm-kernel')
      .setSubject(ws.userId)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(key('someone-else-entirely-different-secret-key'));
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const variants: Record<string, string | undefined> = {
      expired: `Bearer ${expired}`,
      forged: `Bearer ${forged}`,
      tamperedPayload: `Bearer ${header}.${tamperedPayload}.${signature}`,
      tamperedSignature: `Bearer ${header}.${payload}.${signature!.slice(0, -4)}AAAA`,
      algNone: `Bearer ${unsigned}`,
      basic: `Basic ${Buffer.from('a:b').toString('base64')}`,
      bearerOnly: 'Bearer',
      bearerSpace: 'Bearer ',
      twoTokens: `Bearer ${accessToken} ${accessToken}`,
      noScheme: accessToken,
      empty: '',
      garbage: 'Bearer not-a-token',
      refreshTokenAsAccess: `Bearer crm_rt_${'a'.repeat(32)}_${'b'.repeat(32)}_${'c'.repeat(43)}`,
      badKey: `Bearer crm_key_${'a'.repeat(32)}_short`,
      unknownKey: `Bearer crm_key_${ws.id.replace(/-/g, '')}_${randomUUID().replace(/-/g, '')}_${'x'.repeat(43)}`,
    };
    const companiesBefore = await server.count('company', ws.id);
    for (const [name, authorization] of Object.entries(variants)) {
      const response = await server.app.http.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', authorization },
        payload: JSON.stringify({ query: 'mutation { createCompany(input: { name: "Sneaky" }) { company { id } } }' }),
      });
      const body = JSON.parse(response.body);
      expect([name, response.statusCode, body.errors?.[0]?.extensions?.code]).toEqual([name, 401, 'UNAUTHENTICATED']);
    }
    expect(await server.count('company', ws.id)).toBe(companiesBefore);
    const expiredRes = await server.gql('{ workspace { id } }', {}, { authorization: variants.expired! });
    expect(expiredRes.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });
    // the real token still works
    expect((await server.gql('{ workspace { slug } }', {}, bearer(accessToken))).data?.workspace.slug).toBe(ws.slug);
  });

  it('lets anonymous callers sign in but nothing else', async () => {
    const res = await server.gql('{ workspace { id } }');
    expect(code(res)).toBe('UNAUTHENTICATED');
    expect(code(await server.gql(ME))).toBe('UNAUTHENTICATED');
  });
});

describe('refresh tokens', () => {
  it('rotate: each works once; reusing one revokes the whole session, new tokens included', async () => {
    const ws = await server.newWorkspace();
    await setPassword(ws.userId);
    const first = await signedIn(ws);
    const second = await server.gql(REFRESH, { t: first.refreshToken });
    expect(second.errors).toBeUndefined();
    const pair = second.data!.refreshToken;
    expect(pair.refreshToken).not.toBe(first.refreshToken);
    expect(decodeJwt(pair.accessToken).sid).toBe(decodeJwt(first.accessToken).sid);
    expect((await server.gql('{ workspace { slug } }', {}, bearer(pair.accessToken))).data?.workspace.slug).toBe(ws.slug);

    const reused = await server.gql(REFRESH, { t: first.refreshToken });
    expect(reused.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'REFRESH_TOKEN_REUSED' });
    expect(code(await server.gql(REFRESH, { t: pair.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(code(await server.gql('{ workspace { slug } }', {}, bearer(pair.accessToken)))).toBe('UNAUTHENTICATED');
    expect(code(await server.gql('{ workspace { slug } }', {}, bearer(first.accessToken)))).toBe('UNAUTHENTICATED');
    expect(
      await rows(`select count(*)::int as n from audit_log where action = 'auth.refreshTokenReused' and workspace_id = ?`, [ws.id]),
    ).toBe(1);
  });

  it('refuses unknown, malformed and forged refresh tokens without writing anything', async () => {
    const ws = await server.newWorkspace();
    await setPassword(ws.userId);
    const { refreshToken } = await signedIn(ws);
    const tokensBefore = await server.count('auth_refresh_token', ws.id);
    const forged = `${refreshToken.slice(0, -6)}AAAAAA`;
    for (const t of [forged, 'crm_rt_nope', '', `${refreshToken}x`]) {
      expect(code(await server.gql(REFRESH, { t }))).toBe('UNAUTHENTICATED');
    }
    expect(await server.count('auth_refresh_token', ws.id)).toBe(tokensBefore);
    expect(await rows('select count(*)::int as n from auth_session where workspace_id = ? and revoked_at is not null', [ws.id])).toBe(0);
    // the genuine token was not disturbed
    expect((await server.gql(REFRESH, { t: refreshToken })).errors).toBeUndefined();
  });

  it('signOut ends the session: its access and refresh tokens stop working', async () => {
    const ws = await server.newWorkspace();
    await setPassword(ws.userId);
    const tokens = await signedIn(ws);
    const out = await server.gql('mutation { signOut { signedOut userErrors { message } } }', {}, bearer(tokens.accessToken));
    expect(out.data?.signOut).toEqual({ signedOut: true, userErrors: [] });
    expect(code(await server.gql('{ workspace { slug } }', {}, bearer(tokens.accessToken)))).toBe('UNAUTHENTICATED');
    expect(code(await server.gql(REFRESH, { t: tokens.refreshToken }))).toBe('UNAUTHENTICATED');
    // other sessions (the harness's) are untouched
    expect((await ws.gql('{ workspace { slug } }')).data?.workspace.slug).toBe(ws.slug);
  });
});

describe('changePassword', () => {
  const CHANGE = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { accessToken refreshToken userErrors { field code } } }`;

  it('ends every session of the user, in every workspace, and returns a new one', async () => {
    const ws = await server.newWorkspace();
    const other = await server.newWorkspace();
    await setPassword(ws.userId);
    await server.orm.em
      .getConnection()
      .execute(`insert into membership (id, workspace_id, user_id, role, created_at, updated_at) values (?, ?, ?, 'SALES', now(), now())`, [
        randomUUID(),
        other.id,
        ws.userId,
      ]);
    const here = await signedIn(ws);
    const there = (await server.gql(SIGN_IN, { input: { email: ws.userEmail, password: PASSWORD, workspace: other.slug } })).data!.signIn;

    const wrong = await server.gql(
      CHANGE,
      { input: { currentPassword: 'not it at all', newPassword: 'a brand new password' } },
      bearer(here.accessToken),
    );
    expect(wrong.data?.changePassword).toMatchObject({ accessToken: null, userErrors: [{ field: ['currentPassword'] }] });
    const tooShort = await server.gql(CHANGE, { input: { currentPassword: PASSWORD, newPassword: 'short' } }, bearer(here.accessToken));
    expect(tooShort.data?.changePassword.userErrors).toEqual([{ field: ['newPassword'], code: 'BAD_USER_INPUT' }]);
    // nothing changed yet
    expect((await server.gql('{ workspace { slug } }', {}, bearer(there.accessToken))).data?.workspace.slug).toBe(other.slug);

    const changed = await server.gql(
      CHANGE,
      { input: { currentPassword: PASSWORD, newPassword: 'a brand new password' } },
      bearer(here.accessToken),
    );
    expect(changed.data?.changePassword.userErrors).toEqual([]);
    for (const token of [here.accessToken, there.accessToken, ws.headers.authorization!.slice(7)]) {
      expect(code(await server.gql('{ workspace { slug } }', {}, bearer(token)))).toBe('UNAUTHENTICATED');
    }
    for (const t of [here.refreshToken, there.refreshToken]) expect(code(await server.gql(REFRESH, { t }))).toBe('UNAUTHENTICATED');
    const fresh = changed.data!.changePassword;
    expect((await server.gql('{ workspace { slug } }', {}, bearer(fresh.accessToken))).data?.workspace.slug).toBe(ws.slug);
    expect((await server.gql(REFRESH, { t: fresh.refreshToken })).errors).toBeUndefined();

    expect(code(await signIn(ws))).toBe('UNAUTHENTICATED');
    expect((await signIn(ws, { password: 'a brand new password' })).errors).toBeUndefined();
  });
});

describe('two-factor (TOTP)', () => {
  const at = (secret: string, offsetSeconds = 0) =>
    TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + offsetSeconds * 1000 });

  it('enrols, confirms with recovery codes, then requires a code (or a recovery code, once) to sign in', async () => {
    const ws = await server.newWorkspace();
    await setPassword(ws.userId);
    const { accessToken } = await signedIn(ws);
    const auth = bearer(accessToken);

    const enrolled = await server.gql('mutation { enrollTotp { secret otpauthUri userErrors { message } } }', {}, auth);
    const { secret, otpauthUri } = enrolled.data!.enrollTotp;
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    // not active until confirmed
    expect((await signIn(ws)).errors).toBeUndefined();

    const bad = await server.gql(
      'mutation($c: String!) { confirmTotp(input: { code: $c }) { recoveryCodes userErrors { field } } }',
      { c: '000000' === at(secret) ? '111111' : '000000' },
      auth,
    );
    expect(bad.data?.confirmTotp).toEqual({ recoveryCodes: null, userErrors: [{ field: ['code'] }] });
    const confirmed = await server.gql(
      'mutation($c: String!) { confirmTotp(input: { code: $c }) { recoveryCodes userErrors { field } } }',
      { c: at(secret) },
      auth,
    );
    const recoveryCodes: string[] = confirmed.data!.confirmTotp.recoveryCodes;
    expect(recoveryCodes).toHaveLength(10);
    expect((await server.gql(ME, {}, auth)).data?.me.twoFactorEnabled).toBe(true);
    // only hashes are stored
    const stored = await server.orm.em
      .getConnection()
      .execute<{ r: string }[]>('select recovery_code_hashes::text as r from app_user where id = ?', [ws.userId]);
    for (const c of recoveryCodes) expect(stored[0]!.r).not.toContain(c);

    const sessionsBefore = await sessions(ws.userId);
    const needed = await signIn(ws);
    expect(needed.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TWO_FACTOR_REQUIRED' });
    const failuresBefore = await failedSignIns(ws.userEmail);
    const wrong = await signIn(ws, { totpCode: at(secret, 600) });
    expect(wrong.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TWO_FACTOR_INVALID' });
    expect(await failedSignIns(ws.userEmail)).toBe(failuresBefore + 1);
    // a wrong password with a right code is still just a wrong password
    expect(code(await signIn(ws, { password: 'wrong password!!', totpCode: at(secret, 30) }))).toBe('UNAUTHENTICATED');
    expect(await sessions(ws.userId)).toBe(sessionsBefore);

    // the confirmation used this step's code: the next step's is accepted once
    const next = at(secret, 30);
    expect((await signIn(ws, { totpCode: next })).errors).toBeUndefined();
    expect(code(await signIn(ws, { totpCode: next }))).toBe('UNAUTHENTICATED');

    expect((await signIn(ws, { recoveryCode: recoveryCodes[0]!.toUpperCase() })).errors).toBeUndefined();
    expect(code(await signIn(ws, { recoveryCode: recoveryCodes[0] }))).toBe('UNAUTHENTICATED');
    expect((await signIn(ws, { recoveryCode: recoveryCodes[1] })).errors).toBeUndefined();

    const noProof = await server.gql(
      'mutation { disableTotp(input: { password: "nope nope nope" }) { twoFactorEnabled userErrors { field } } }',
      {},
      auth,
    );
    expect(noProof.errors).toBeUndefined();
    expect(noProof.data?.disableTotp.userErrors).toEqual([{ field: ['password'] }]);
    const off = await server.gql(
      'mutation($p: String) { disableTotp(input: { password: $p }) { twoFactorEnabled userErrors { field } } }',
      { p: PASSWORD },
      auth,
    );
    expect(off.data?.disableTotp).toEqual({ twoFactorEnabled: false, userErrors: [] });
    expect((await signIn(ws)).errors).toBeUndefined();
  });

  it('is for signed-in users only, not API keys', async () => {
    const ws = await server.newWorkspace();
    const key = await ws.ok('mutation { createApiKey(input: { name: "ci", role: "ADMIN" }) { secret } }');
    const res = await server.gql('mutation { enrollTotp { secret } }', {}, bearer(key.createApiKey.secret));
    expect(code(res)).toBe('FORBIDDEN');
    expect(code(await server.gql('mutation { enrollTotp { secret } }'))).toBe('UNAUTHENTICATED');
  });
});

describe('API keys', () => {
  const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
    secret apiKey { id name hint role fieldAllowlist expiresAt revokedAt lastUsedAt createdBy { email } } userErrors { field message code } } }`;

  it('is shown once, stored hashed, and acts with its role and allowlist for a real query', async () => {
    const ws = await server.newWorkspace();
    await ws.ok(
      'mutation { createContact(input: { firstName: "Kim", lastName: "Key", emails: [{ email: "kim@example.com" }] }) { contact { id } } }',
    );
    const created = await ws.gql(CREATE, { input: { name: 'Warehouse sync', role: 'READ_ONLY', fieldAllowlist: { Contact: [] } } });
    expect(created.errors).toBeUndefined();
    const { secret, apiKey } = created.data!.createApiKey;
    expect(secret).toMatch(/^crm_key_/);
    expect(apiKey).toMatchObject({
      name: 'Warehouse sync',
      role: 'READ_ONLY',
      fieldAllowlist: { Contact: [] },
      revokedAt: null,
      lastUsedAt: null,
      createdBy: { email: ws.userEmail },
    });
    expect(apiKey.hint).toBe(`crm_key_…${secret.slice(-4)}`);
    const stored = await server.orm.em
      .getConnection()
      .execute<{ secret_hash: string }[]>('select secret_hash from api_key where workspace_id = ?', [ws.id]);
    expect(stored[0]!.secret_hash).not.toContain(secret.slice(20));

    const key = bearer(secret);
    const contacts = await server.gql('{ contacts { totalCount nodes { firstName emails { email } } } }', {}, key);
    expect(contacts.data?.contacts.totalCount).toBe(1);
    expect(contacts.data?.contacts.nodes[0].firstName).toBe('Kim');
    expect(contacts.data?.contacts.nodes[0].emails).toBeNull();
    expect(contacts.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const me = (await server.gql(ME, {}, key)).data!.me;
    expect(me).toMatchObject({ kind: 'API_KEY', role: 'READ_ONLY', apiKey: { name: 'Warehouse sync' }, user: { email: ws.userEmail } });
    expect(me.hiddenFields).toContainEqual({ type: 'Contact', fields: expect.arrayContaining(['emails', 'phones']) });
    const write = await server.gql('mutation { createCompany(input: { name: "Nope" }) { company { id } } }', {}, key);
    expect(code(write)).toBe('FORBIDDEN');
    expect(await server.count('company', ws.id)).toBe(0);

    // last used: written once, not again within the minute
    const listed = await ws.ok('{ apiKeys { id lastUsedAt } }');
    const lastUsed = listed.apiKeys[0].lastUsedAt;
    expect(lastUsed).not.toBeNull();
    await server.gql('{ workspace { id } }', {}, key);
    expect((await ws.ok('{ apiKeys { lastUsedAt } }')).apiKeys[0].lastUsedAt).toBe(lastUsed);

    const revoked = await ws.gql('mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } userErrors { field } } }', {
      id: apiKey.id,
    });
    expect(revoked.data?.revokeApiKey.apiKey.revokedAt).not.toBeNull();
    const after = await server.gql('{ workspace { id } }', {}, key);
    expect(after.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'API_KEY_REVOKED' });
  });

  it('stops working when expired, and refuses a tampered secret', async () => {
    const ws = await server.newWorkspace();
    const { secret, apiKey } = (
      await ws.ok(CREATE, { input: { name: 'short-lived', role: 'SALES', expiresAt: new Date(Date.now() + 3600_000).toISOString() } })
    ).createApiKey;
    expect((await server.gql('{ workspace { id } }', {}, bearer(secret))).errors).toBeUndefined();
    expect(code(await server.gql('{ workspace { id } }', {}, bearer(secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A'))))).toBe(
      'UNAUTHENTICATED',
    );
    await server.orm.em
      .getConnection()
      .execute(`update api_key set expires_at = now() - interval '1 minute' where workspace_id = ?`, [ws.id]);
    const res = await server.gql('{ workspace { id } }', {}, bearer(secret));
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'API_KEY_EXPIRED' });
    expect(apiKey.expiresAt).not.toBeNull();
  });

  it('validates role, allowlist and expiry, writing nothing', async () => {
    const ws = await server.newWorkspace();
    const cases: [Record<string, unknown>, string[], string][] = [
      [{ name: 'x', role: 'NO_SUCH_ROLE' }, ['role'], 'NOT_FOUND'],
      [{ name: 'x', role: randomUUID() }, ['role'], 'NOT_FOUND'],
      [{ name: '', role: 'SALES' }, ['name'], 'BAD_USER_INPUT'],
      [{ name: 'x', role: 'SALES', fieldAllowlist: { Contact: ['firstName'] } }, ['fieldAllowlist', 'Contact'], 'BAD_USER_INPUT'],
      [{ name: 'x', role: 'SALES', fieldAllowlist: { Tag: ['name'] } }, ['fieldAllowlist', 'Tag'], 'BAD_USER_INPUT'],
      [{ name: 'x', role: 'SALES', fieldAllowlist: ['emails'] }, ['fieldAllowlist'], 'BAD_USER_INPUT'],
      [{ name: 'x', role: 'SALES', expiresAt: new Date(Date.now() - 1000).toISOString() }, ['expiresAt'], 'BAD_USER_INPUT'],
    ];
    for (const [input, field, errorCode] of cases) {
      const res = await ws.gql(CREATE, { input });
      expect([input, res.data?.createApiKey]).toEqual([
        input,
        { secret: null, apiKey: null, userErrors: [expect.objectContaining({ field, code: errorCode })] },
      ]);
    }
    expect(await server.count('api_key', ws.id)).toBe(0);
  });

  it('needs apiKey:manage to list, create or revoke', async () => {
    const ws = await server.newWorkspace();
    const seller = await ws.addMember('Sam Seller');
    expect(code(await server.gql('{ apiKeys { id } }', {}, seller.headers))).toBe('FORBIDDEN');
    expect(code(await server.gql(CREATE, { input: { name: 'x', role: 'SALES' } }, seller.headers))).toBe('FORBIDDEN');
    expect(await server.count('api_key', ws.id)).toBe(0);
    // the member's own session works otherwise
    expect((await server.gql(ME, {}, seller.headers)).data?.me.role).toBe('SALES');
  });

  it('cannot be used from another workspace or stand in for another key', async () => {
    const a = await server.newWorkspace();
    const b = await server.newWorkspace();
    const { secret } = (await a.ok(CREATE, { input: { name: 'a', role: 'ADMIN' } })).createApiKey;
    // same secret, other workspace id in the token: unknown key
    const moved = secret.replace(/^crm_key_[0-9a-f]{32}/, `crm_key_${b.id.replace(/-/g, '')}`);
    expect(code(await server.gql('{ workspace { id } }', {}, bearer(moved)))).toBe('UNAUTHENTICATED');
  });
});

describe('secrets', () => {
  it('never appear in the schema', () => {
    const sdl = printSchema(server.app.schema);
    for (const name of [
      'passwordHash',
      'password_hash',
      'secretHash',
      'tokenHash',
      'totpSecret',
      'recoveryCodeHashes',
      'sessionsValidAfter',
    ]) {
      expect(sdl).not.toContain(name);
    }
  });
});

describe('demo data', () => {
  it('lets the demo admin sign in with the documented password', async () => {
    const { seedDemoIfEmpty, DEMO_OWNER_EMAIL, DEMO_PASSWORD } = await import('../../src/seed/demo.js');
    const own = await startTestServer({ privateDatabase: true });
    try {
      await seedDemoIfEmpty(own.orm, { companies: 2, contacts: 2, activities: 2 });
      const res = await own.gql(SIGN_IN, { input: { email: DEMO_OWNER_EMAIL, password: DEMO_PASSWORD } });
      expect(res.errors).toBeUndefined();
      const me = await own.gql(ME, {}, bearer(res.data!.signIn.accessToken));
      expect(me.data?.me).toMatchObject({ role: 'OWNER', workspace: { slug: 'demo' } });
    } finally {
      await own.close();
    }
  });
});
