import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { startTestServer, type GraphQLResponse, type TestServer, type TestWorkspace } from '../support/harness.js';

interface Mail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  body: string;
}

let server: TestServer;
let smtp: SMTPServer;
let smtpOpen = false;
const closeSmtp = () =>
  new Promise<void>((resolve) => (smtpOpen ? smtp.close(() => resolve()) : resolve())).then(() => {
    smtpOpen = false;
  });
let smtpPort: number;
const mails: Mail[] = [];

/** Decodes the text part of a simple (single-part) message. */
function parseMail(raw: string, from: string, to: string[]): Mail {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = head!.replace(/\r?\n[ \t]+/g, ' ');
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(headers)?.[1]?.trim() ?? '';
  let body = rest.join('\n\n');
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  if (encoding === 'quoted-printable') {
    body = Buffer.from(
      body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  } else if (encoding === 'base64') {
    body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  let subject = header('Subject');
  const encoded = /^=\?utf-8\?([QB])\?(.*)\?=$/i.exec(subject);
  if (encoded) {
    subject =
      encoded[1]!.toUpperCase() === 'B'
        ? Buffer.from(encoded[2]!, 'base64').toString('utf8')
        : Buffer.from(
            encoded[2]!.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8');
  }
  return { from, to, raw, subject, body };
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push(
          parseMail(
            Buffer.concat(chunks).toString('utf8'),
            from,
            session.envelope.rcptTo.map((r) => r.address),
          ),
        );
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpOpen = true;
  smtpPort = (smtp.server.address() as AddressInfo).port;
  server = await startTestServer({
    env: {
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MAIL_FROM: 'CRM Invitations <invitations@crm.example.test>',
      PUBLIC_URL: 'https://crm.example.test/',
    },
  });
});
afterAll(async () => {
  await closeSmtp();
  await server?.close();
});

const gql = <T = any>(query: string, variables: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> =>
  server.gql(query, variables, headers);

async function ok<T = any>(query: string, variables: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await gql<T>(query, variables, headers);
  if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors, null, 2)}`);
  return res.data!;
}

const ERRORS = 'userErrors { field message code }';
const INVITE = `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id email status role { key } invitedBy { name } expiresAt } ${ERRORS} } }`;
const INVITATIONS =
  'query($status: InvitationStatus) { invitations(status: $status) { id email status role { key name } invitedBy { id name } acceptedAt revokedAt } }';
const REVOKE = `mutation($input: RevokeInvitationInput!) { revokeInvitation(input: $input) { invitation { id status revokedAt } ${ERRORS} } }`;
const ACCEPT = `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { user { id email name } workspace { id slug } ${ERRORS} } }`;
const SIGN_IN = 'mutation($input: SignInInput!) { signIn(input: $input) { accessToken user { email } } }';
const MEMBERS = 'query { members(first: 50) { nodes { user { email name } role { key } } } }';

const as = (ws: TestWorkspace) => ws.headers;
const tokenIn = (mail: Mail) => /https:\/\/crm\.example\.test\/accept-invitation\?token=(crm_inv_[A-Za-z0-9_-]+)/.exec(mail.body)?.[1];

async function invite(ws: TestWorkspace, email: string, role = 'SALES') {
  const sent = mails.length;
  const res = await ok(INVITE, { input: { email, role } }, as(ws));
  expect(res.inviteMember.userErrors).toEqual([]);
  expect(mails.length).toBe(sent + 1);
  const mail = mails.at(-1)!;
  return { invitation: res.inviteMember.invitation, mail, token: tokenIn(mail)! };
}

async function rows(sql: string, params: unknown[]) {
  return server.orm.em.getConnection().execute<any[]>(sql, params);
}

describe('invitations', () => {
  it('invites by email through SMTP, and the token link lets the invitee join with a new account', async () => {
    const ws = await server.newWorkspace();
    const email = `New.Person+${ws.slug}@Example.test`;
    const before = await server.count('invitation', ws.id);
    const { invitation, mail, token } = await invite(ws, email);

    expect(invitation).toMatchObject({
      email: email.toLowerCase(),
      status: 'PENDING',
      role: { key: 'SALES' },
      invitedBy: { name: 'Ada Admin' },
    });
    const days = (new Date(invitation.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);
    expect(await server.count('invitation', ws.id)).toBe(before + 1);

    // the real message as the mail server received it
    expect(mail.from).toBe('invitations@crm.example.test');
    expect(mail.to).toEqual([email.toLowerCase()]);
    expect(mail.subject).toBe(`You are invited to Test ${ws.slug}`);
    expect(mail.body).toMatch(/Ada Admin invited you to join the workspace "Test .*" as Sales\./);
    const invitationHex = Buffer.from(invitation.id, 'base64url').toString().split(':')[1]!.replaceAll('-', '');
    expect(token).toBe(`crm_inv_${ws.id.replaceAll('-', '')}_${invitationHex}_${token.slice(-43)}`);
    expect(token.slice(-43)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // only a hash of the token is stored
    const [stored] = await rows('select token_hash from invitation where workspace_id = ?', [ws.id]);
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await ok(INVITATIONS, {}, as(ws)))).not.toContain(token.slice(-43));

    const listed = await ok(INVITATIONS, { status: 'PENDING' }, as(ws));
    expect(listed.invitations).toEqual([
      {
        id: invitation.id,
        email: email.toLowerCase(),
        status: 'PENDING',
        role: { key: 'SALES', name: 'Sales' },
        invitedBy: { id: toGlobalId('User', ws.userId), name: 'Ada Admin' },
        acceptedAt: null,
        revokedAt: null,
      },
    ]);

    // anyone holding the token, not signed in
    const members = await server.count('membership', ws.id);
    const accepted = await ok(ACCEPT, { input: { token, name: ' Nora New ', password: 'correct horse battery' } });
    expect(accepted.acceptInvitation.userErrors).toEqual([]);
    expect(accepted.acceptInvitation.user).toMatchObject({ email: email.toLowerCase(), name: 'Nora New' });
    expect(accepted.acceptInvitation.workspace).toEqual({ id: toGlobalId('Workspace', ws.id), slug: ws.slug });
    expect(await server.count('membership', ws.id)).toBe(members + 1);
    const [user] = await rows('select id, password_hash from app_user where email = ?', [email.toLowerCase()]);
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
    // audited, with the invitee as actor; no secrets in the log
    const audit = await rows(
      'select action, actor_user_id, changes::text as changes from audit_log where workspace_id = ? order by occurred_at, action',
      [ws.id],
    );
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['invitation.created', 'member.created', 'invitation.updated']));
    expect(audit.find((a) => a.action === 'member.created').actor_user_id).toBe(user.id);
    expect(audit.find((a) => a.action === 'invitation.created').actor_user_id).toBe(ws.userId);
    expect(audit.map((a) => a.changes ?? '').join()).not.toMatch(/argon2|token_?hash/i);

    const { members: list } = await ws.ok(MEMBERS);
    expect(list.nodes).toContainEqual({ user: { email: email.toLowerCase(), name: 'Nora New' }, role: { key: 'SALES' } });
    expect((await ok(INVITATIONS, {}, as(ws))).invitations[0]).toMatchObject({ status: 'ACCEPTED', acceptedAt: expect.any(String) });
    // the new member signs in with the password they chose and acts in the workspace
    const signIn = await ok(SIGN_IN, { input: { email, password: 'correct horse battery', workspace: ws.slug } });
    expect(signIn.signIn.user.email).toBe(email.toLowerCase());
    const asNora = await ok(MEMBERS, {}, { authorization: `Bearer ${signIn.signIn.accessToken}` });
    expect(asNora.members.nodes).toHaveLength(2);

    // a used token is refused
    const again = await ok(ACCEPT, { input: { token, name: 'Nora Again', password: 'correct horse battery' } });
    expect(again.acceptInvitation).toEqual({
      user: null,
      workspace: null,
      userErrors: [{ field: ['token'], message: 'the invitation was already used', code: 'UNAUTHENTICATED' }],
    });
    expect(await server.count('membership', ws.id)).toBe(members + 1);
  });

  it('refuses unknown, forged and tampered tokens and bad new-account input, writing nothing', async () => {
    const ws = await server.newWorkspace();
    const email = `careful@${ws.slug}.example.test`;
    const { token } = await invite(ws, email);
    const members = await server.count('membership', ws.id);
    const users = async () => Number((await rows('select count(*)::int as n from app_user where email = ?', [email]))[0].n);

    const forged = `crm_inv_${ws.id.replaceAll('-', '')}_${'0'.repeat(32)}_${'A'.repeat(43)}`;
    const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (const bad of ['', 'garbage', forged, tampered, `${token}x`]) {
      const res = await ok(ACCEPT, { input: { token: bad, name: 'Mallory', password: 'correct horse battery' } });
      expect(res.acceptInvitation).toEqual({
        user: null,
        workspace: null,
        userErrors: [{ field: ['token'], message: 'the invitation token is invalid', code: 'UNAUTHENTICATED' }],
      });
    }
    const weak = await ok(ACCEPT, { input: { token, name: '', password: 'short' } });
    expect(weak.acceptInvitation.userErrors).toEqual([
      { field: ['name'], message: 'is required for a new account', code: 'BAD_USER_INPUT' },
      { field: ['password'], message: 'must be at least 10 characters long', code: 'BAD_USER_INPUT' },
    ]);
    expect(await server.count('membership', ws.id)).toBe(members);
    expect(await users()).toBe(0);
    expect((await ok(INVITATIONS, {}, as(ws))).invitations[0].status).toBe('PENDING');

    // still usable afterwards
    expect(
      (await ok(ACCEPT, { input: { token, name: 'Carla Careful', password: 'correct horse battery' } })).acceptInvitation.userErrors,
    ).toEqual([]);
    expect(await users()).toBe(1);
  });

  it('adds an existing account to another workspace only with its password', async () => {
    const first = await server.newWorkspace();
    const second = await server.newWorkspace();
    const email = `roamer@${first.slug}.example.test`;
    const { token: firstToken } = await invite(first, email, 'MANAGER');
    await ok(ACCEPT, { input: { token: firstToken, name: 'Rita Roamer', password: 'my first password' } });

    const { token } = await invite(second, email, 'READ_ONLY');
    const members = await server.count('membership', second.id);
    const wrong = await ok(ACCEPT, { input: { token, name: 'Someone Else', password: 'not my password' } });
    expect(wrong.acceptInvitation.userErrors).toEqual([
      { field: ['password'], message: `does not match the existing account of ${email}`, code: 'UNAUTHENTICATED' },
    ]);
    expect(await server.count('membership', second.id)).toBe(members);

    // accepted while signed in to the first workspace; the same request then still acts in the first one
    const session = await ok(SIGN_IN, { input: { email, password: 'my first password', workspace: first.slug } });
    const signedIn = { authorization: `Bearer ${session.signIn.accessToken}` };
    const right = await ok(
      `mutation($input: AcceptInvitationInput!) {
      acceptInvitation(input: $input) { user { id email name } workspace { id slug } ${ERRORS} }
      createTeam(input: { name: "After accepting" }) { team { id } ${ERRORS} }
    }`,
      { input: { token, password: 'my first password' } },
      signedIn,
    );
    expect(right.createTeam.userErrors).toEqual([]);
    expect(await server.count('team', first.id)).toBe(1);
    expect(await server.count('team', second.id)).toBe(0);
    expect(right.acceptInvitation.userErrors).toEqual([]);
    expect(right.acceptInvitation.user).toMatchObject({ email, name: 'Rita Roamer' });
    expect(right.acceptInvitation.workspace.slug).toBe(second.slug);
    expect(Number((await rows('select count(*)::int as n from app_user where email = ?', [email]))[0].n)).toBe(1);
    const roles = await rows(
      'select m.workspace_id, m.role from membership m join app_user u on u.id = m.user_id where u.email = ? order by m.role',
      [email],
    );
    expect(roles.map((r) => [r.workspace_id, r.role])).toEqual([
      [first.id, 'MANAGER'],
      [second.id, 'READ_ONLY'],
    ]);
  });

  it('revokes, replaces and expires invitations', async () => {
    const ws = await server.newWorkspace();
    const { invitation, token } = await invite(ws, `revoked@${ws.slug}.example.test`);
    const revoked = await ok(REVOKE, { input: { id: invitation.id } }, as(ws));
    expect(revoked.revokeInvitation).toMatchObject({
      invitation: { id: invitation.id, status: 'REVOKED', revokedAt: expect.any(String) },
      userErrors: [],
    });
    const twice = await ok(REVOKE, { input: { id: invitation.id } }, as(ws));
    expect(twice.revokeInvitation.userErrors).toEqual([
      { field: ['id'], message: 'the invitation is revoked, not pending', code: 'CONFLICT' },
    ]);
    expect(
      (await ok(ACCEPT, { input: { token, name: 'Rex Revoked', password: 'correct horse battery' } })).acceptInvitation.userErrors,
    ).toEqual([{ field: ['token'], message: 'the invitation was revoked', code: 'UNAUTHENTICATED' }]);

    // inviting the same address again replaces the pending invitation
    const email = `twice@${ws.slug}.example.test`;
    const older = await invite(ws, email);
    const newer = await invite(ws, email, 'SUPPORT');
    const statuses = (await ok(INVITATIONS, {}, as(ws))).invitations
      .filter((i: any) => i.email === email)
      .map((i: any) => [i.id, i.status]);
    expect(statuses).toEqual([
      [newer.invitation.id, 'PENDING'],
      [older.invitation.id, 'REVOKED'],
    ]);
    expect(
      (await ok(ACCEPT, { input: { token: older.token, name: 'Tess Twice', password: 'correct horse battery' } })).acceptInvitation
        .userErrors[0].message,
    ).toBe('the invitation was revoked');

    // past its expiry
    await rows(`update invitation set expires_at = now() - interval '1 minute' where id = ?`, [
      Buffer.from(newer.invitation.id, 'base64url').toString().split(':')[1],
    ]);
    expect((await ok(INVITATIONS, { status: 'EXPIRED' }, as(ws))).invitations.map((i: any) => i.id)).toEqual([newer.invitation.id]);
    expect(
      (await ok(ACCEPT, { input: { token: newer.token, name: 'Tess Twice', password: 'correct horse battery' } })).acceptInvitation
        .userErrors,
    ).toEqual([{ field: ['token'], message: 'the invitation has expired: ask for a new one', code: 'UNAUTHENTICATED' }]);
    expect(await server.count('membership', ws.id)).toBe(1);
    const foreign = await server.newWorkspace();
    expect((await ok(REVOKE, { input: { id: older.invitation.id } }, as(foreign))).revokeInvitation.userErrors[0]).toMatchObject({
      field: ['id'],
      code: 'NOT_FOUND',
    });
  });

  it('rejects bad invitations without saving or sending anything', async () => {
    const ws = await server.newWorkspace();
    const member = await ws.addMember('Already Here');
    const before = await server.count('invitation', ws.id);
    const sent = mails.length;
    const cases: [Record<string, unknown>, string[], string][] = [
      [{ email: 'not an email', role: 'SALES' }, ['email'], 'BAD_USER_INPUT'],
      [{ email: `x@${ws.slug}.test`, role: 'WIZARD' }, ['role'], 'NOT_FOUND'],
      [{ email: member.email.toUpperCase(), role: 'SALES' }, ['email'], 'CONFLICT'],
      [{ email: `boss@${ws.slug}.test`, role: 'OWNER' }, ['role'], 'FORBIDDEN'],
    ];
    for (const [input, field, code] of cases) {
      const res = await ok(INVITE, { input }, as(ws));
      expect(res.inviteMember.invitation).toBeNull();
      expect(res.inviteMember.userErrors[0]).toMatchObject({ field, code });
    }
    expect(await server.count('invitation', ws.id)).toBe(before);
    expect(mails.length).toBe(sent);
  });

  it('saves nothing when the mail server cannot take the message', async () => {
    const ws = await server.newWorkspace();
    await closeSmtp();
    const res = await ok(INVITE, { input: { email: `offline@${ws.slug}.test`, role: 'SALES' } }, as(ws));
    expect(res.inviteMember).toEqual({
      invitation: null,
      userErrors: [{ field: ['email'], message: expect.stringMatching(/could not be sent/), code: 'INTERNAL_SERVER_ERROR' }],
    });
    expect(await server.count('invitation', ws.id)).toBe(0);
  });
});
