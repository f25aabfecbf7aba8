import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { Connection, ConnectionArgs, pageRequest, toConnection } from '../../graphql/relay.js';
import { keysetPage } from '../../graphql/keyset-page.js';
import { sql } from '../../db/sql.js';
import { User } from '../identity/user.entity.js';
import { UserNode } from '../identity/user.types.js';
import { Team } from '../identity/membership.entity.js';
import { permissionRegistry } from '../../permissions/permission-registry.js';
import { runMutation } from '../shared/mutation.js';
import { Invitation } from './invitation.entity.js';
import * as roles from './roles.service.js';
import * as memberService from './members.service.js';
import * as invitations from './invitations.service.js';
import {
  AcceptInvitationInput,
  AcceptInvitationPayload,
  CreateRoleInput,
  CreateTeamInput,
  DeleteRoleInput,
  DeleteRolePayload,
  DeleteTeamInput,
  DeleteTeamPayload,
  Grant,
  InvitationPayload,
  InvitationStatus,
  InvitationType,
  InviteMemberInput,
  MemberPayload,
  MemberType,
  PermissionType,
  RemoveMemberInput,
  RemoveMemberPayload,
  RenameTeamInput,
  RevokeInvitationInput,
  RolePayload,
  RoleType,
  TeamMemberInput,
  TeamPayload,
  TeamType,
  UpdateMemberRoleInput,
  UpdateRoleInput,
  type MemberView,
  type RoleView,
} from './workspace-admin.types.js';

@Resolver(() => RoleType)
export class RoleResolver {
  @Query(() => [RoleType], { description: 'The built-in roles, then the workspace’s custom roles by name.' })
  roles(@Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return roles.listRoles(ctx.em);
  }

  @Query(() => [PermissionType], { description: 'Every permission a role can grant.' })
  permissions() {
    return permissionRegistry.list();
  }

  @Mutation(() => RolePayload)
  createRole(@Arg('input', () => CreateRoleInput) input: CreateRoleInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async ({ em, principal }) => ({
      role: roles.customRoleView(await roles.createRole(em, workspaceOf(ctx), principal.access, input)),
    }));
  }

  @Mutation(() => RolePayload, { description: 'Changes a custom role; built-in roles cannot be changed.' })
  updateRole(@Arg('input', () => UpdateRoleInput) input: UpdateRoleInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async ({ em, principal }) => ({
      role: roles.customRoleView(await roles.updateRole(em, workspaceOf(ctx), principal.access, input.id, input)),
    }));
  }

  @Mutation(() => DeleteRolePayload, { description: 'Deletes a custom role that no member, API key or pending invitation holds.' })
  deleteRole(@Arg('input', () => DeleteRoleInput) input: DeleteRoleInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async ({ em }) => ({ deletedId: await roles.deleteRole(em, workspaceOf(ctx), input.id) }));
  }

  @FieldResolver(() => ID)
  id(@Root() role: RoleView) {
    return role.key;
  }

  @FieldResolver(() => [Grant])
  grants(@Root() role: RoleView): Grant[] {
    return Object.entries(role.grants)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([permission, scope]) => ({ permission, scope }));
  }

  @FieldResolver(() => Int)
  memberCount(@Root() role: RoleView, @Ctx() ctx: RequestContext) {
    return roles.memberCountLoader(ctx).load(role.key);
  }
}

export const MemberConnection = Connection(MemberType, 'Member');

@Resolver(() => MemberType)
export class MemberResolver {
  @Query(() => MemberConnection, { description: 'Members of the workspace with their roles and teams, by name.' })
  async members(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    const result = await keysetPage(
      ctx.em,
      {
        from: 'membership m join app_user u on u.id = m.user_id',
        select: memberService.memberColumns(ctx.em),
        where: sql`m.workspace_id = ${workspaceOf(ctx)}`,
        orderBy: [{ expr: 'lower(u.name)', direction: 'ASC', nullable: false }],
        idExpr: 'u.id',
      },
      pageRequest(page),
      (row) => memberService.memberFromRow(ctx.em, row),
    );
    return toConnection(result);
  }

  @Mutation(() => MemberPayload, { description: 'Only an owner may grant or take away Owner; the workspace keeps at least one owner.' })
  updateMemberRole(@Arg('input', () => UpdateMemberRoleInput) input: UpdateMemberRoleInput, @Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return runMutation(ctx, async ({ em, principal }) => ({ member: await memberService.updateMemberRole(em, principal, input) }));
  }

  @Mutation(() => RemoveMemberPayload, { description: 'Removes a member from the workspace and from its teams.' })
  removeMember(@Arg('input', () => RemoveMemberInput) input: RemoveMemberInput, @Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return runMutation(ctx, async ({ em, principal }) => ({
      removedUserId: toGlobalId('User', await memberService.removeMember(em, principal, input)),
    }));
  }

  @FieldResolver(() => RoleType)
  async role(@Root() member: MemberView, @Ctx() ctx: RequestContext) {
    return (await roles.roleLoader(ctx).load(member.roleKey)) ?? unknownRole(member.roleKey);
  }

  @FieldResolver(() => [TeamType])
  teams(@Root() member: MemberView, @Ctx() ctx: RequestContext) {
    return memberService.teamsOfUserLoader(ctx).load(member.userId);
  }
}

/** A membership whose custom role vanished (roles in use cannot be deleted, so only after manual changes): no permissions. */
const unknownRole = (key: string): RoleView => ({
  key,
  name: 'Unknown role',
  description: 'This role no longer exists; the member has no permissions.',
  builtIn: false,
  grants: {},
  fieldAllowlist: null,
});

@Resolver(() => TeamType)
export class TeamResolver {
  @Query(() => [TeamType], { description: 'Teams of the workspace, by name.' })
  teams(@Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return ctx.em.find(Team, {}, { orderBy: { name: 'asc', id: 'asc' } });
  }

  @Mutation(() => TeamPayload)
  createTeam(@Arg('input', () => CreateTeamInput) input: CreateTeamInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async ({ em }) => ({ team: await memberService.createTeam(em, workspaceOf(ctx), input) }));
  }

  @Mutation(() => TeamPayload)
  renameTeam(@Arg('input', () => RenameTeamInput) input: RenameTeamInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async ({ em }) => ({ team: await memberService.renameTeam(em, workspaceOf(ctx), input) }));
  }

  @Mutation(() => DeleteTeamPayload)
  deleteTeam(@Arg('input', () => DeleteTeamInput) input: DeleteTeamInput, @Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return runMutation(ctx, async ({ em }) => ({ deletedId: toGlobalId('Team', await memberService.deleteTeam(em, input)) }));
  }

  @Mutation(() => TeamPayload)
  addTeamMember(@Arg('input', () => TeamMemberInput) input: TeamMemberInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async ({ em }) => ({ team: await memberService.addTeamMember(em, workspaceOf(ctx), input) }));
  }

  @Mutation(() => TeamPayload)
  removeTeamMember(@Arg('input', () => TeamMemberInput) input: TeamMemberInput, @Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return runMutation(ctx, async ({ em }) => ({ team: await memberService.removeTeamMember(em, input) }));
  }

  @FieldResolver(() => ID)
  id(@Root() team: Team) {
    return toGlobalId('Team', team.id);
  }

  @FieldResolver(() => [UserNode])
  members(@Root() team: Team, @Ctx() ctx: RequestContext) {
    return memberService.membersOfTeamLoader(ctx).load(team.id);
  }
}

@Resolver(() => InvitationType)
export class InvitationResolver {
  @Query(() => [InvitationType], { description: 'Invitations of the workspace, newest first (at most 500).' })
  invitations(@Arg('status', () => InvitationStatus, { nullable: true }) status: InvitationStatus | null, @Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return invitations.listInvitations(ctx.em, status);
  }

  @Mutation(() => InvitationPayload, { description: 'Invites someone by email; re-inviting an address replaces its pending invitation.' })
  inviteMember(@Arg('input', () => InviteMemberInput) input: InviteMemberInput, @Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return runMutation(ctx, async (tx) => ({ invitation: await invitations.inviteMember(tx, input) }));
  }

  @Mutation(() => InvitationPayload)
  revokeInvitation(@Arg('input', () => RevokeInvitationInput) input: RevokeInvitationInput, @Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return runMutation(ctx, async ({ em }) => ({ invitation: await invitations.revokeInvitation(em, input) }));
  }

  @Mutation(() => AcceptInvitationPayload, { description: 'Joins a workspace with the token from an invitation email; no sign-in needed.' })
  acceptInvitation(@Arg('input', () => AcceptInvitationInput) input: AcceptInvitationInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async ({ em }) => invitations.acceptInvitation(em, input, ctx.ip || null));
  }

  @FieldResolver(() => ID)
  id(@Root() invitation: Invitation) {
    return toGlobalId('Invitation', invitation.id);
  }

  @FieldResolver(() => RoleType, {
    nullable: true,
    description: 'Null when the custom role was deleted after the invitation was used or closed.',
  })
  role(@Root() invitation: Invitation, @Ctx() ctx: RequestContext) {
    return roles.roleLoader(ctx).load(invitation.role);
  }

  @FieldResolver(() => InvitationStatus)
  status(@Root() invitation: Invitation) {
    return invitations.invitationStatus(invitation);
  }

  @FieldResolver(() => UserNode, { nullable: true })
  invitedBy(@Root() invitation: Invitation, @Ctx() ctx: RequestContext) {
    return invitation.invitedBy ? ctx.loaders.byId(User).load(invitation.invitedBy) : null;
  }
}

export const workspaceAdminResolvers = [RoleResolver, MemberResolver, TeamResolver, InvitationResolver];
