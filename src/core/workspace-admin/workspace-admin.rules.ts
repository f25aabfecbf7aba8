import { allow } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { anyone, requires, signedIn } from '../../graphql/shield/rules.js';

/**
 * Who may call the operations of workspace administration (roles, members, teams, invitations). Owner-only
 * changes (granting or taking away Owner) and "never more than you hold" are checked by the mutations.
 */
export const workspaceAdminRules: RuleDeclarations = {
  Query: {
    roles: signedIn,
    permissions: signedIn,
    members: requires('user:read'),
    teams: requires('user:read'),
    invitations: requires('member:manage'),
  },
  Mutation: {
    createRole: requires('role:manage'),
    updateRole: requires('role:manage'),
    deleteRole: requires('role:manage'),
    updateMemberRole: requires('member:manage'),
    removeMember: requires('member:manage'),
    createTeam: requires('team:manage'),
    renameTeam: requires('team:manage'),
    deleteTeam: requires('team:manage'),
    addTeamMember: requires('team:manage'),
    removeTeamMember: requires('team:manage'),
    inviteMember: requires('member:manage'),
    revokeInvitation: requires('member:manage'),
    acceptInvitation: anyone,
  },
  types: {
    Role: { '*': allow },
    Grant: { '*': allow },
    Permission: { '*': allow },
    Member: { '*': allow },
    MemberEdge: { '*': allow },
    MemberConnection: { '*': allow },
    Team: { '*': allow },
    Invitation: { '*': allow },
    RolePayload: { '*': allow },
    DeleteRolePayload: { '*': allow },
    MemberPayload: { '*': allow },
    RemoveMemberPayload: { '*': allow },
    TeamPayload: { '*': allow },
    DeleteTeamPayload: { '*': allow },
    InvitationPayload: { '*': allow },
    AcceptInvitationPayload: { '*': allow },
  },
};
