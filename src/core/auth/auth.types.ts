import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../../graphql/errors.js';
import { UserNode } from '../identity/user.types.js';
import { WorkspaceNode } from '../workspaces/workspace.resolver.js';
import type { User } from '../identity/user.entity.js';
import type { Workspace } from '../workspaces/workspace.entity.js';
import type { FieldAllowlist } from '../../permissions/builtin-roles.js';

// ----------------------------------------------------------------------------------------------- sign-in

@InputType()
export class SignInInput {
  @Field() email!: string;
  @Field() password!: string;
  @Field(() => String, { nullable: true, description: 'Workspace slug or id; may be left out when you belong to exactly one.' })
  workspace?: string | null;
  @Field(() => String, { nullable: true, description: 'The 6-digit code of your authenticator app, when two-factor is on.' })
  totpCode?: string | null;
  @Field(() => String, { nullable: true, description: 'One of your one-time recovery codes, instead of totpCode.' })
  recoveryCode?: string | null;
}

@ObjectType({
  description:
    'A signed-in session. Send `Authorization: Bearer <accessToken>`; before it expires, exchange `refreshToken` for a new pair ' +
    '(each refresh token works once: presenting a used one again ends the session).',
})
export class SignInPayload {
  @Field() accessToken!: string;
  @Field() accessTokenExpiresAt!: Date;
  @Field() refreshToken!: string;
  @Field() refreshTokenExpiresAt!: Date;
  @Field(() => UserNode) user!: User;
  @Field(() => WorkspaceNode) workspace!: Workspace;
}

@InputType()
export class RefreshTokenInput {
  @Field() refreshToken!: string;
}

@ObjectType({ description: 'A new token pair; the refresh token sent is used up.' })
export class RefreshTokenPayload extends SignInPayload {}

@ObjectType()
export class SignOutPayload {
  @Field({ description: 'Whether a session was ended.' }) signedOut!: boolean;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType()
export class ChangePasswordInput {
  @Field() currentPassword!: string;
  @Field({ description: 'At least 10 characters.' }) newPassword!: string;
}

@ObjectType({ description: 'Every session of the user (in every workspace) has ended; these tokens start a new one here.' })
export class ChangePasswordPayload {
  @Field(() => String, { nullable: true }) accessToken?: string;
  @Field(() => Date, { nullable: true }) accessTokenExpiresAt?: Date;
  @Field(() => String, { nullable: true }) refreshToken?: string;
  @Field(() => Date, { nullable: true }) refreshTokenExpiresAt?: Date;
  @Field(() => [UserError]) userErrors!: UserError[];
}

// ---------------------------------------------------------------------------------------------- two-factor

@ObjectType({ description: 'Scan `otpauthUri` (or type `secret`) into an authenticator app, then call confirmTotp with a code.' })
export class EnrollTotpPayload {
  @Field(() => String, { nullable: true }) secret?: string;
  @Field(() => String, { nullable: true }) otpauthUri?: string;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType()
export class ConfirmTotpInput {
  @Field() code!: string;
}

@ObjectType({ description: 'Two-factor is on. The recovery codes are shown this once: each works once instead of a code.' })
export class ConfirmTotpPayload {
  @Field(() => [String], { nullable: true }) recoveryCodes?: string[];
  @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType({ description: 'Your password or a current two-factor code.' })
export class DisableTotpInput {
  @Field(() => String, { nullable: true }) password?: string | null;
  @Field(() => String, { nullable: true }) code?: string | null;
}

@ObjectType()
export class DisableTotpPayload {
  @Field(() => Boolean, { nullable: true }) twoFactorEnabled?: boolean;
  @Field(() => [UserError]) userErrors!: UserError[];
}

// ------------------------------------------------------------------------------------------------ API keys

@ObjectType('ApiKey', { description: 'An integrator’s key. Its secret is shown once, when it is created.' })
export class ApiKeyNode {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field({ description: 'How the key starts and ends, to recognise it (`crm_key_…abcd`).' }) hint!: string;
  @Field({ description: 'Built-in role key or custom role id.' }) role!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Protected fields the key may see, per type (narrows its role).' })
  fieldAllowlist?: FieldAllowlist | null;
  @Field(() => Date, { nullable: true }) expiresAt?: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Updated at most once a minute.' }) lastUsedAt?: Date | null;
  @Field() createdAt!: Date;
  @Field(() => UserNode, { nullable: true, description: 'The member the key acts for.' }) createdBy?: User | null;
}

@InputType()
export class CreateApiKeyInput {
  @Field() name!: string;
  @Field({ description: 'Built-in role key (e.g. READ_ONLY) or a custom role id; at most your own permissions.' }) role!: string;
  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'e.g. {"Contact": ["emails"]}: of the protected fields, only these are visible.',
  })
  fieldAllowlist?: unknown;
  @Field(() => Date, { nullable: true }) expiresAt?: Date | null;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKeyNode, { nullable: true }) apiKey?: unknown;
  @Field(() => String, { nullable: true, description: 'The key to send as `Authorization: Bearer <secret>`. Shown only now.' })
  secret?: string;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@InputType()
export class RevokeApiKeyInput {
  @Field(() => ID) id!: string;
}

@ObjectType()
export class RevokeApiKeyPayload {
  @Field(() => ApiKeyNode, { nullable: true }) apiKey?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}

// ---------------------------------------------------------------------------------------------------- me

export enum CallerKind {
  USER = 'USER',
  API_KEY = 'API_KEY',
}
registerEnumType(CallerKind, { name: 'CallerKind', description: 'A signed-in member or an API key.' });

@ObjectType({ description: 'A permission held, with the records it reaches: OWN, TEAM or ALL.' })
export class PermissionGrant {
  @Field() permission!: string;
  @Field() scope!: string;
}

@ObjectType({ description: 'Protected fields of a type that the caller cannot see.' })
export class HiddenFields {
  @Field() type!: string;
  @Field(() => [String]) fields!: string[];
}

@ObjectType({ description: 'Who is calling, in which workspace, and what they may do.' })
export class Me {
  @Field(() => CallerKind) kind!: CallerKind;
  @Field(() => UserNode, { description: 'The member (for an API key: the member who created it).' }) user!: User;
  @Field(() => WorkspaceNode) workspace!: Workspace;
  @Field({ description: 'Built-in role key or custom role id.' }) role!: string;
  @Field() roleName!: string;
  @Field(() => ApiKeyNode, { nullable: true }) apiKey?: unknown;
  @Field() twoFactorEnabled!: boolean;
  @Field(() => [PermissionGrant]) permissions!: PermissionGrant[];
  @Field(() => [HiddenFields]) hiddenFields!: HiddenFields[];
}
