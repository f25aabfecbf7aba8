import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { UserError } from '../../graphql/errors.js';
import { Connection } from '../../graphql/relay.js';

export enum NotificationChannelEnum {
  IN_APP = 'in_app',
  EMAIL = 'email',
  DIGEST = 'digest',
}
registerEnumType(NotificationChannelEnum, {
  name: 'NotificationChannel',
  description: 'IN_APP: the inbox (and `notificationAdded`); EMAIL: one email per notification, at once; DIGEST: the daily digest email.',
});

@ObjectType('Notification', { description: 'A notification of the calling user.' })
export class NotificationNode {
  /** The raw uuid (not in the schema). */
  rawId!: string;

  @Field(() => ID) id!: string;
  @Field({ description: 'The notification type key: `comment.mentioned`, `task.assigned`, `task.due`, a plugin’s `deal.rotting` …' })
  type!: string;
  @Field() title!: string;
  @Field(() => String, { nullable: true }) body!: string | null;
  @Field(() => String, { nullable: true, description: 'The GraphQL type of what it is about (`Activity`, `Contact`, `Deal` …).' })
  recordType!: string | null;
  @Field(() => ID, { nullable: true, description: 'The global id of what it is about.' }) recordId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The user who caused it (global id).' }) actorId!: string | null;
  @Field(() => GraphQLJSON) data!: Record<string, unknown>;
  @Field(() => Date, { nullable: true }) readAt!: Date | null;
  @Field() createdAt!: Date;
}

export const NotificationConnection = Connection(NotificationNode, 'Notification');

@ObjectType('NotificationPreference', { description: 'One notification type on one channel, as it applies to the caller.' })
export class NotificationPreferenceNode {
  @Field() type!: string;
  @Field() label!: string;
  @Field(() => NotificationChannelEnum) channel!: NotificationChannelEnum;
  @Field({ description: 'Effective: the caller’s choice, else the type’s default.' }) enabled!: boolean;
  @Field({ description: 'True when the caller made no choice (the default applies).' }) isDefault!: boolean;
}

@ObjectType('NotificationPreferences')
export class NotificationPreferencesNode {
  @Field(() => [NotificationPreferenceNode], { description: 'Every declared type × channel.' })
  preferences!: NotificationPreferenceNode[];
  @Field({ description: 'IANA time zone of the digest (default UTC).' }) timeZone!: string;
  @Field(() => Int, { description: 'Local hour (0–23) at which the daily digest is sent (default 8).' }) digestHour!: number;
}

@InputType()
export class NotificationPreferenceInput {
  @Field() type!: string;
  @Field(() => NotificationChannelEnum) channel!: NotificationChannelEnum;
  @Field() enabled!: boolean;
}

@ObjectType()
export class NotificationPayload {
  @Field(() => NotificationNode, { nullable: true }) notification?: NotificationNode | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class MarkAllNotificationsReadPayload {
  @Field(() => Int, { description: 'Notifications marked read.' }) count!: number;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class NotificationPreferencesPayload {
  @Field(() => NotificationPreferencesNode, { nullable: true }) preferences?: NotificationPreferencesNode | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType('NotificationWorkspaceSettings')
export class NotificationWorkspaceSettingsNode {
  @Field(() => Int, {
    nullable: true,
    description: 'Notify a contact’s owner when no activity was logged on it for this many days (null: off).',
  })
  staleContactDays!: number | null;
}

@ObjectType()
export class NotificationWorkspaceSettingsPayload {
  @Field(() => NotificationWorkspaceSettingsNode, { nullable: true }) settings?: NotificationWorkspaceSettingsNode | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
