import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { UserError } from '../../graphql/errors.js';
import { Scope } from '../../permissions/permission-registry.js';
import { UserNode } from '../identity/user.types.js';
import { WorkspaceNode } from '../workspaces/workspace.resolver.js';
import type { FieldAllowlist } from '../../permissions/builtin-roles.js';

registerEnumType(Scope, {
  name: 'PermissionScope',
  description: 'Which records a scoped permission reaches: the caller’s own, their teams’ members’, or all.',
});

export enum InvitationStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(InvitationStatus, { name: 'InvitationStatus' });

// ---------------------------------------------------------------- roles

@ObjectType('Permission', { description: 'A permission of the registry, named `resource:action`.' })
export class PermissionType {
  @Field() name!: string;
  @Field() description!: string;
  @Field({ description: 'Whether OWN / TEAM scopes apply; unscoped permissions are granted with ALL.' }) scoped!: boolean;
}

@ObjectType({ description: 'A permission granted with a scope.' })
export class Grant {
  @Field() permission!: string;
  @Field(() => Scope) scope!: Scope;
}

/** What Role fields resolve from (built-in or custom). */
export interface RoleView {
  key: string;
  name: string;
  description: string;
  builtIn: boolean;
  grants: Record<string, Scope>;
  fieldAllowlist: FieldAllowlist | null;
}

@ObjectType('Role', { description: 'A built-in role (id = its key, e.g. SALES) or a custom role of the workspace (id = its uuid).' })
export class RoleType {
  @Field(() => ID, { description: 'The key to assign: a built-in key or the custom role’s id.' }) id!: string;
  @Field() key!: string;
  @Field() name!: string;
  @Field() description!: string;
  @Field() builtIn!: boolean;
  @Field(() => [Grant]) grants!: Grant[];
  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Per type, the protected fields members with this role may see; null: all fields.',
  })
  fieldAllowlist?: FieldAllowlist | null;
  @Field(() => Int, { description: 'Members holding this role.' }) memberCount!: number;
}

@InputType()
export class GrantInput {
  @Field() permission!: string;
  @Field(() => Scope, { nullable: true, description: 'Defaults to ALL.' }) scope?: Scope | null;
}

@InputType()
export class CreateRoleInput {
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [GrantInput]) grants!: GrantInput[];
  @Field(() => GraphQLJSON, { nullable: true, description: 'e.g. {"Company": ["address"]}: per type, the protected fields to show.' })
  fieldAllowlist?: unknown;
}

@InputType()
export class UpdateRoleInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [GrantInput], { nullable: true, description: 'Replaces all grants.' }) grants?: GrantInput[] | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Replaces the allowlist; null shows all fields.' }) fieldAllowlist?: unknown;
}

@InputType()
export class DeleteRoleInput {
  @Field(() => ID) id!: string;
}

@ObjectType()
export class RolePayload {
  @Field(() => RoleType, { nullable: true }) role?: RoleView | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class DeleteRolePayload {
  @Field(() => ID, { nullable: true }) deletedId?: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

// ---------------------------------------------------------------- teams

export interface TeamView {
  id: string;
  name: string;
  createdAt: Date;
}

@ObjectType('Team')
export class TeamType {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => [UserNode]) members!: unknown[];
  @Field() createdAt!: Date;
}

@InputType()
export class CreateTeamInput {
  @Field() name!: string;
  @Field(() => [ID], { nullable: true, description: 'Users (members of the workspace) to put in the team.' }) memberIds?: string[] | null;
}

@InputType()
export class RenameTeamInput {
  @Field(() => ID) id!: string;
  @Field() name!: string;
}

@InputType()
export class DeleteTeamInput {
  @Field(() => ID) id!: string;
}

@InputType()
export class TeamMemberInput {
  @Field(() => ID) teamId!: string;
  @Field(() => ID) userId!: string;
}

@ObjectType()
export class TeamPayload {
  @Field(() => TeamType, { nullable: true }) team?: TeamView | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class DeleteTeamPayload {
  @Field(() => ID, { nullable: true }) deletedId?: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

// ---------------------------------------------------------------- members

export interface MemberView {
  userId: string;
  user: unknown;
  roleKey: string;
  joinedAt: Date;
}

@ObjectType('Member', { description: 'A user’s membership of the workspace.' })
export class MemberType {
  @Field(() => UserNode) user!: unknown;
  @Field(() => RoleType) role!: RoleView;
  @Field(() => [TeamType]) teams!: TeamView[];
  @Field() joinedAt!: Date;
}

@InputType()
export class UpdateMemberRoleInput {
  @Field(() => ID) userId!: string;
  @Field({ description: 'A built-in role key (e.g. SALES) or a custom role’s id.' }) role!: string;
}

@InputType()
export class RemoveMemberInput {
  @Field(() => ID) userId!: string;
}

@ObjectType()
export class MemberPayload {
  @Field(() => MemberType, { nullable: true }) member?: MemberView | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class RemoveMemberPayload {
  @Field(() => ID, { nullable: true, description: 'The removed user’s id.' }) removedUserId?: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

// ---------------------------------------------------------------- invitations

export interface InvitationView {
  id: string;
  email: string;
  role: string;
  invitedBy?: string | null;
  expiresAt: Date;
  acceptedAt?: Date | null;
  revokedAt?: Date | null;
  createdAt: Date;
}

@ObjectType('Invitation')
export class InvitationType {
  @Field(() => ID) id!: string;
  @Field() email!: string;
  @Field(() => RoleType, { nullable: true }) role?: RoleView | null;
  @Field(() => UserNode, { nullable: true }) invitedBy?: unknown;
  @Field(() => InvitationStatus) status!: InvitationStatus;
  @Field() expiresAt!: Date;
  @Field(() => Date, { nullable: true }) acceptedAt?: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt?: Date | null;
  @Field() createdAt!: Date;
}

@InputType()
export class InviteMemberInput {
  @Field() email!: string;
  @Field({ description: 'A built-in role key (e.g. SALES) or a custom role’s id.' }) role!: string;
}

@InputType()
export class RevokeInvitationInput {
  @Field(() => ID) id!: string;
}

@InputType()
export class AcceptInvitationInput {
  @Field({ description: 'The token from the invitation email.' }) token!: string;
  @Field(() => String, { nullable: true, description: 'Required when the email has no account yet.' }) name?: string | null;
  @Field({ description: 'A new password (new account) or the existing account’s password.' }) password!: string;
}

@ObjectType()
export class InvitationPayload {
  @Field(() => InvitationType, { nullable: true }) invitation?: InvitationView | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class AcceptInvitationPayload {
  @Field(() => UserNode, { nullable: true }) user?: unknown;
  @Field(() => WorkspaceNode, { nullable: true }) workspace?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}
