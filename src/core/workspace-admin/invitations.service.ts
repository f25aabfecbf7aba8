import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { z } from 'zod';
import type { RequestContext } from '../../graphql/context.js';
import { ErrorCode, InputRejected, userError, type UserError } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { hashPassword, passwordProblem, verifyPassword } from '../auth/passwords.js';
import { User } from '../identity/user.entity.js';
import { Membership } from '../identity/membership.entity.js';
import { Workspace } from '../workspaces/workspace.entity.js';
import { emailAddress, parseInput, trimmed } from '../shared/validation.js';
import { findRole } from '../../permissions/principal.js';
import { setTenantContext } from '../../db/rls/tenant-context.js';
import { attachAuditActor } from '../../db/audit-context.js';
import { Invitation } from './invitation.entity.js';
import { sendMail } from '../email/transport.js';
import { assignableRole } from './roles.service.js';
import { checkGrantable } from './members.service.js';
import { InvitationStatus, type InvitationView } from './workspace-admin.types.js';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** `crm_inv_<workspace id hex>_<invitation id hex>_<secret>`: the workspace is known before any lookup (row-level security). */
const TOKEN = /^crm_inv_([0-9a-f]{32})_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

const hex = (uuid: string) => uuid.replaceAll('-', '');
const uuidOf = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function invitationToken(workspaceId: string, invitationId: string): string {
  return `crm_inv_${hex(workspaceId)}_${hex(invitationId)}_${randomBytes(32).toString('base64url')}`;
}

export function parseInvitationToken(token: string): { workspaceId: string; invitationId: string } | null {
  const match = TOKEN.exec(token.trim());
  return match ? { workspaceId: uuidOf(match[1]!), invitationId: uuidOf(match[2]!) } : null;
}

export function invitationStatus(
  invitation: Pick<InvitationView, 'acceptedAt' | 'revokedAt' | 'expiresAt'>,
  now = new Date(),
): InvitationStatus {
  if (invitation.acceptedAt) return InvitationStatus.ACCEPTED;
  if (invitation.revokedAt) return InvitationStatus.REVOKED;
  if (invitation.expiresAt.getTime() <= now.getTime()) return InvitationStatus.EXPIRED;
  return InvitationStatus.PENDING;
}

export async function listInvitations(em: SqlEntityManager, status: InvitationStatus | null | undefined): Promise<Invitation[]> {
  const now = new Date();
  const where =
    status === InvitationStatus.ACCEPTED
      ? { acceptedAt: { $ne: null } }
      : status === InvitationStatus.REVOKED
        ? { acceptedAt: null, revokedAt: { $ne: null } }
        : status === InvitationStatus.EXPIRED
          ? { acceptedAt: null, revokedAt: null, expiresAt: { $lte: now } }
          : status === InvitationStatus.PENDING
            ? { acceptedAt: null, revokedAt: null, expiresAt: { $gt: now } }
            : {};
  return em.find(Invitation, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 500 });
}

const inviteInput = z.object({ email: emailAddress, role: z.string().max(64) });

/**
 * Invites someone by email. A new invitation to the same address replaces the pending one. The email is sent
 * inside the transaction: when the mail server refuses it, nothing is saved.
 */
export async function inviteMember(tx: RequestContext, input: { email: string; role: string }): Promise<Invitation> {
  const { em, principal } = tx;
  const workspaceId = principal.workspaceId!;
  const data = parseInput(inviteInput, input);
  const role = await assignableRole(em, data.role, 'role');
  checkGrantable(principal, role, 'role');
  const existing = await em.execute<{ n: number }[]>(
    'select count(*)::int as n from membership m join app_user u on u.id = m.user_id where m.workspace_id = ? and lower(u.email) = ?',
    [workspaceId, data.email],
  );
  if (Number(existing[0]?.n ?? 0) > 0)
    throw InputRejected.one('email', `${data.email} is already a member of this workspace`, ErrorCode.CONFLICT);
  for (const pending of await em.find(Invitation, { email: data.email, acceptedAt: null, revokedAt: null })) pending.revokedAt = new Date();

  const id = randomUUID();
  const token = invitationToken(workspaceId, id);
  const invitation = em.create(Invitation, {
    id,
    workspaceId,
    email: data.email,
    role: role.key,
    tokenHash: sha256(token),
    invitedBy: principal.userId,
    expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
  });
  await em.flush();

  const workspace = await em.findOneOrFail(Workspace, { id: workspaceId });
  const inviter = principal.userId ? await em.findOne(User, { id: principal.userId }) : null;
  const link = `${tx.config.PUBLIC_URL.replace(/\/+$/, '')}/accept-invitation?token=${encodeURIComponent(token)}`;
  try {
    await sendMail(tx.config, tx.logger, {
      to: data.email,
      subject: `You are invited to ${workspace.name}`,
      text: [
        `${inviter?.name ?? 'An administrator'} invited you to join the workspace "${workspace.name}" as ${role.name}.`,
        '',
        `Accept the invitation: ${link}`,
        '',
        `Or call the acceptInvitation mutation with this token: ${token}`,
        '',
        `The invitation expires on ${invitation.expiresAt.toISOString()}. If you did not expect it, ignore this email.`,
      ].join('\n'),
    });
  } catch (error) {
    tx.logger.error({ err: error, to: data.email }, 'invitation email could not be sent');
    throw InputRejected.one(
      'email',
      'the invitation email could not be sent, so no invitation was created; try again later',
      ErrorCode.INTERNAL_SERVER_ERROR,
    );
  }
  return invitation;
}

export async function revokeInvitation(em: SqlEntityManager, input: { id: string }): Promise<Invitation> {
  const invitation = await em.findOne(Invitation, { id: expectGlobalId(input.id, 'Invitation', 'id') });
  if (!invitation) throw InputRejected.one('id', 'invitation not found', ErrorCode.NOT_FOUND);
  const status = invitationStatus(invitation);
  if (status !== InvitationStatus.PENDING)
    throw InputRejected.one('id', `the invitation is ${status.toLowerCase()}, not pending`, ErrorCode.CONFLICT);
  invitation.revokedAt = new Date();
  await em.flush();
  return invitation;
}

const invalidToken = () => InputRejected.one('token', 'the invitation token is invalid', ErrorCode.UNAUTHENTICATED);

interface InvitationRow {
  id: string;
  email: string;
  role: string;
  token_hash: string;
  expires_at: Date | string;
  accepted_at: Date | string | null;
  revoked_at: Date | string | null;
}

const newAccount = z.object({
  name: trimmed(200).pipe(z.string().min(1, { message: 'is required for a new account' })),
});

/**
 * Accepts an invitation for whoever holds its token (not signed in): creates the account when the email has none,
 * or adds the membership to the existing account after checking its password.
 */
export async function acceptInvitation(
  em: SqlEntityManager,
  input: { token: string; name?: string | null; password: string },
  ip: string | null = null,
): Promise<{ user: User; workspace: Workspace }> {
  const parsed = parseInvitationToken(input.token ?? '');
  if (!parsed) throw invalidToken();
  const { workspaceId, invitationId } = parsed;
  // act in the token's workspace (ORM filter of this transaction's fork and, on PostgreSQL, row-level security); a
  // caller signed in elsewhere gets their own context back at the end (on failure the savepoint's rollback restores it)
  const [previous] = await em.execute<{ ws: string | null; usr: string | null }[]>(
    `select current_setting('app.workspace_id', true) as ws, current_setting('app.user_id', true) as usr`,
  );
  em.setFilterParams('tenant', { workspaceId });
  await setTenantContext(em, { workspaceId });
  // locked: two concurrent accepts of one invitation cannot both succeed
  const [row] = await em.execute<InvitationRow[]>(
    'select id, email, role, token_hash, expires_at, accepted_at, revoked_at from invitation where workspace_id = ? and id = ? for update',
    [workspaceId, invitationId],
  );
  const expected = Buffer.from(row?.token_hash ?? sha256('no invitation'), 'hex');
  if (!row || !timingSafeEqual(expected, Buffer.from(sha256(input.token.trim()), 'hex'))) throw invalidToken();
  const date = (v: Date | string | null) => (v == null ? null : v instanceof Date ? v : new Date(String(v)));
  const status = invitationStatus({ acceptedAt: date(row.accepted_at), revokedAt: date(row.revoked_at), expiresAt: date(row.expires_at)! });
  if (status === InvitationStatus.ACCEPTED) throw InputRejected.one('token', 'the invitation was already used', ErrorCode.UNAUTHENTICATED);
  if (status === InvitationStatus.REVOKED) throw InputRejected.one('token', 'the invitation was revoked', ErrorCode.UNAUTHENTICATED);
  if (status === InvitationStatus.EXPIRED)
    throw InputRejected.one('token', 'the invitation has expired: ask for a new one', ErrorCode.UNAUTHENTICATED);

  const role = await findRole(em, workspaceId, row.role);
  if (!role) throw InputRejected.one('token', 'the role of this invitation no longer exists: ask for a new invitation', ErrorCode.CONFLICT);

  const [existing] = await em.execute<{ id: string; password_hash: string | null }[]>(
    'select id, password_hash from app_user where lower(email) = ?',
    [row.email.toLowerCase()],
  );
  let userId: string;
  if (existing) {
    if (!(await verifyPassword(existing.password_hash, input.password ?? ''))) {
      throw InputRejected.one('password', `does not match the existing account of ${row.email}`, ErrorCode.UNAUTHENTICATED);
    }
    const [member] = await em.execute<{ id: string }[]>('select id from membership where workspace_id = ? and user_id = ?', [
      workspaceId,
      existing.id,
    ]);
    if (member) throw InputRejected.one('token', 'you are already a member of this workspace', ErrorCode.CONFLICT);
    userId = existing.id;
  } else {
    const errors: UserError[] = [];
    const nameResult = newAccount.safeParse({ name: input.name ?? '' });
    if (!nameResult.success) errors.push(userError('name', nameResult.error.issues[0]!.message));
    const problem = passwordProblem(input.password ?? '');
    if (problem) errors.push(userError('password', problem));
    if (errors.length) throw new InputRejected(errors);
    const user = em.create(User, {
      email: row.email.toLowerCase(),
      name: nameResult.data!.name,
      passwordHash: await hashPassword(input.password),
    });
    userId = user.id;
  }
  // audited with the invitee as actor (the caller is not signed in)
  attachAuditActor(em, { workspaceId, userId, apiKeyId: null, ip });
  em.create(Membership, { workspaceId, userId, role: row.role });
  const invitation = await em.findOneOrFail(Invitation, { id: invitationId });
  invitation.acceptedAt = new Date();
  invitation.acceptedBy = userId;
  await em.flush();
  const user = await em.findOneOrFail(User, { id: userId });
  const workspace = await em.findOneOrFail(Workspace, { id: workspaceId });
  await setTenantContext(em, { workspaceId: previous?.ws || null, userId: previous?.usr || null });
  return { user, workspace };
}
