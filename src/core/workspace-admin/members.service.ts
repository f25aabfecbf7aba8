import type { SqlEntityManager } from '@mikro-orm/sql';
import { z } from 'zod';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { expectGlobalId } from '../../graphql/global-id.js';
import { Sql, sql } from '../../db/sql.js';
import { parseTimestamp, readColumns, readRow } from '../../db/read-rows.js';
import { groupBy, takeColumn } from '../../db/group-by.js';
import { User } from '../identity/user.entity.js';
import { Membership, Team, TeamMember } from '../identity/membership.entity.js';
import { memberIds } from '../identity/members.js';
import { BuiltinRoleKey } from '../../permissions/builtin-roles.js';
import type { Principal } from '../../permissions/principal.js';
import { parseInput, trimmed } from '../shared/validation.js';
import { assignableRole, escalationErrors } from './roles.service.js';
import type { MemberView, RoleView } from './workspace-admin.types.js';

const OWNER = BuiltinRoleKey.OWNER;

/** Turns a row of `app_user` columns plus `member_role` and `joined_at` into a member. */
export function memberFromRow(em: SqlEntityManager, row: Record<string, unknown>): MemberView {
  const roleKey = takeColumn(row, 'member_role');
  const joinedAt = row.joined_at;
  delete row.joined_at;
  const user = readRow(em, User, row);
  return { userId: user.id, user, roleKey, joinedAt: joinedAt instanceof Date ? joinedAt : parseTimestamp(String(joinedAt)) };
}

export const memberColumns = (em: SqlEntityManager) => `${readColumns(em, User, 'u')}, m.role as member_role, m.created_at as joined_at`;

export async function loadMember(em: SqlEntityManager, workspaceId: string, userId: string): Promise<MemberView | null> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `select ${memberColumns(em)} from membership m join app_user u on u.id = m.user_id where m.workspace_id = ? and m.user_id = ?`,
    [workspaceId, userId],
  );
  return rows[0] ? memberFromRow(em, rows[0]) : null;
}

/** Locks the workspace's owner memberships (so two owners cannot demote each other at once) and returns their user ids. */
async function lockOwners(em: SqlEntityManager, workspaceId: string): Promise<string[]> {
  const rows = await em.execute<{ user_id: string }[]>(`select user_id from membership where workspace_id = ? and role = ? for update`, [
    workspaceId,
    OWNER,
  ]);
  return rows.map((r) => r.user_id);
}

const callerIsOwner = (principal: Principal) => principal.roleKey === OWNER;

async function membershipOrReject(em: SqlEntityManager, globalUserId: string): Promise<Membership> {
  const userId = expectGlobalId(globalUserId, 'User', 'userId');
  const membership = await em.findOne(Membership, { userId });
  if (!membership) throw InputRejected.one('userId', 'no such member in this workspace', ErrorCode.NOT_FOUND);
  return membership;
}

/** Whether the caller may hand out this role (Owner only by owners; never more than the caller holds). */
export function checkGrantable(principal: Principal, role: RoleView, field: string): void {
  if (callerIsOwner(principal)) return;
  if (role.key === OWNER) throw InputRejected.one(field, 'only an owner may grant the Owner role', ErrorCode.FORBIDDEN);
  const errors = escalationErrors(principal.access, role, field);
  if (errors.length) throw new InputRejected(errors);
}

export async function updateMemberRole(
  em: SqlEntityManager,
  principal: Principal,
  input: { userId: string; role: string },
): Promise<MemberView> {
  const workspaceId = principal.workspaceId!;
  const owners = await lockOwners(em, workspaceId);
  const membership = await membershipOrReject(em, input.userId);
  const role = await assignableRole(em, input.role, 'role');
  if (membership.role === OWNER && !callerIsOwner(principal)) {
    throw InputRejected.one('userId', 'only an owner may change the role of an owner', ErrorCode.FORBIDDEN);
  }
  checkGrantable(principal, role, 'role');
  if (membership.role === OWNER && role.key !== OWNER && owners.length <= 1) {
    throw InputRejected.one('role', 'the workspace must keep at least one owner: make someone else owner first', ErrorCode.CONFLICT);
  }
  membership.role = role.key;
  await em.flush();
  return (await loadMember(em, workspaceId, membership.userId))!;
}

/** Removes a member and their team memberships. */
export async function removeMember(em: SqlEntityManager, principal: Principal, input: { userId: string }): Promise<string> {
  const workspaceId = principal.workspaceId!;
  const owners = await lockOwners(em, workspaceId);
  const membership = await membershipOrReject(em, input.userId);
  if (membership.role === OWNER) {
    if (!callerIsOwner(principal)) throw InputRejected.one('userId', 'only an owner may remove an owner', ErrorCode.FORBIDDEN);
    if (owners.length <= 1)
      throw InputRejected.one('userId', 'the workspace must keep at least one owner: make someone else owner first', ErrorCode.CONFLICT);
  }
  // through the unit of work, so the audit log records each removed row
  em.remove([...(await em.find(TeamMember, { userId: membership.userId })), membership]);
  await em.flush();
  return membership.userId;
}

// ---------------------------------------------------------------- teams

const teamName = trimmed(200).pipe(z.string().min(1, { message: 'must not be empty' }));

async function rejectDuplicateTeamName(em: SqlEntityManager, workspaceId: string, name: string, exceptId: string | null): Promise<void> {
  const q = sql`select name from team where workspace_id = ${workspaceId} and lower(name) = ${name.toLowerCase()}${exceptId ? sql` and id <> ${exceptId}` : sql``}`;
  const clash = await em.execute<{ name: string }[]>(q.text, q.params);
  if (clash.length) throw InputRejected.one('name', `a team named "${clash[0]!.name}" already exists`, ErrorCode.CONFLICT);
}

export async function teamOrReject(em: SqlEntityManager, globalId: string, field: string): Promise<Team> {
  const team = await em.findOne(Team, { id: expectGlobalId(globalId, 'Team', field) });
  if (!team) throw InputRejected.one(field, 'team not found', ErrorCode.NOT_FOUND);
  return team;
}

async function workspaceMemberIds(em: SqlEntityManager, workspaceId: string, globalIds: string[], field: string): Promise<string[]> {
  const ids = globalIds.map((g, i) => expectGlobalId(g, 'User', `${field}.${i}`));
  const members = await memberIds(em, workspaceId, ids);
  const missing = ids.findIndex((id) => !members.has(id));
  if (missing >= 0) throw InputRejected.one(`${field}.${missing}`, 'user not found in this workspace', ErrorCode.NOT_FOUND);
  return [...new Set(ids)];
}

export async function createTeam(
  em: SqlEntityManager,
  workspaceId: string,
  input: { name: string; memberIds?: string[] | null },
): Promise<Team> {
  const name = parseInput(teamName, input.name, ['name']);
  const userIds = await workspaceMemberIds(em, workspaceId, input.memberIds ?? [], 'memberIds');
  await rejectDuplicateTeamName(em, workspaceId, name, null);
  const team = em.create(Team, { workspaceId, name });
  for (const userId of userIds) em.create(TeamMember, { workspaceId, teamId: team.id, userId });
  await em.flush();
  return team;
}

export async function renameTeam(em: SqlEntityManager, workspaceId: string, input: { id: string; name: string }): Promise<Team> {
  const team = await teamOrReject(em, input.id, 'id');
  const name = parseInput(teamName, input.name, ['name']);
  await rejectDuplicateTeamName(em, workspaceId, name, team.id);
  team.name = name;
  await em.flush();
  return team;
}

export async function deleteTeam(em: SqlEntityManager, input: { id: string }): Promise<string> {
  const team = await teamOrReject(em, input.id, 'id');
  em.remove([...(await em.find(TeamMember, { teamId: team.id })), team]);
  await em.flush();
  return team.id;
}

export async function addTeamMember(em: SqlEntityManager, workspaceId: string, input: { teamId: string; userId: string }): Promise<Team> {
  const team = await teamOrReject(em, input.teamId, 'teamId');
  const userId = expectGlobalId(input.userId, 'User', 'userId');
  if (!(await memberIds(em, workspaceId, [userId])).has(userId))
    throw InputRejected.one('userId', 'user not found in this workspace', ErrorCode.NOT_FOUND);
  if (await em.findOne(TeamMember, { teamId: team.id, userId })) {
    throw InputRejected.one('userId', 'the user is already in this team', ErrorCode.CONFLICT);
  }
  em.create(TeamMember, { workspaceId, teamId: team.id, userId });
  await em.flush();
  return team;
}

export async function removeTeamMember(em: SqlEntityManager, input: { teamId: string; userId: string }): Promise<Team> {
  const team = await teamOrReject(em, input.teamId, 'teamId');
  const userId = expectGlobalId(input.userId, 'User', 'userId');
  const link = await em.findOne(TeamMember, { teamId: team.id, userId });
  if (!link) throw InputRejected.one('userId', 'the user is not in this team', ErrorCode.NOT_FOUND);
  em.remove(link);
  await em.flush();
  return team;
}

/** Teams of many users, per request (one query). */
export function teamsOfUserLoader(ctx: RequestContext) {
  return ctx.loaders.get<string, Team[]>('workspaceAdmin.teamsOfUser', async (userIds, c) => {
    const q = sql`select tm.user_id as "_user", ${new Sql(readColumns(c.em, Team, 't'))} from team_member tm join team t on t.id = tm.team_id
      where tm.workspace_id = ${workspaceOf(c)} and tm.user_id in (${Sql.join(
        userIds.map((id) => sql`${id}`),
        ', ',
      )}) order by lower(t.name), t.id`;
    const rows = await c.em.execute<Record<string, unknown>[]>(q.text, q.params);
    const byUser = groupBy(
      rows,
      (row) => takeColumn(row, '_user'),
      (row) => readRow(c.em, Team, row),
    );
    return userIds.map((id) => byUser.get(id) ?? []);
  });
}

/** Members of many teams, per request (one query). */
export function membersOfTeamLoader(ctx: RequestContext) {
  return ctx.loaders.get<string, User[]>('workspaceAdmin.membersOfTeam', async (teamIds, c) => {
    const q = sql`select tm.team_id as "_team", ${new Sql(readColumns(c.em, User, 'u'))} from team_member tm join app_user u on u.id = tm.user_id
      where tm.workspace_id = ${workspaceOf(c)} and tm.team_id in (${Sql.join(
        teamIds.map((id) => sql`${id}`),
        ', ',
      )}) order by lower(u.name), u.id`;
    const rows = await c.em.execute<Record<string, unknown>[]>(q.text, q.params);
    const byTeam = groupBy(
      rows,
      (row) => takeColumn(row, '_team'),
      (row) => readRow(c.em, User, row),
    );
    return teamIds.map((id) => byTeam.get(id) ?? []);
  });
}
