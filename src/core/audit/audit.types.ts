import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { UserNode } from '../identity/user.types.js';

/** One row of `audit_log` as read by the resolver. */
export interface AuditRow {
  id: string;
  occurred_at: string | Date;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  changes: unknown;
  metadata: unknown;
}

@ObjectType('AuditEntry', { description: 'One append-only audit log entry: who did what to which record, field by field.' })
export class AuditEntryNode {
  @Field(() => ID)
  id!: string;

  @Field()
  occurredAt!: Date;

  @Field({ description: '`<objectType>.<verb>`, e.g. `contact.updated`, `contact.merged`, `auth.signInFailed`.' })
  action!: string;

  @Field(() => String, { nullable: true, description: 'The GraphQL type of the object, e.g. `Contact`.' })
  objectType!: string | null;

  @Field(() => ID, { nullable: true, description: "The object's global id (usable with `node(id:)` while it exists)." })
  objectId!: string | null;

  @Field(() => UserNode, { nullable: true, description: 'The member who acted (for an API key: its creator).' })
  actor?: UserNode | null;

  @Field(() => ID, { nullable: true, description: 'The API key that acted, when the write came from one.' })
  apiKeyId!: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Field → { before, after }. Secrets are never recorded.' })
  changes!: unknown;

  @Field(() => GraphQLJSON, { nullable: true })
  metadata!: unknown;

  /** The actor's raw user id (resolved to `actor` by a field resolver). */
  actorUserId!: string | null;
}

@InputType({ description: 'All given conditions must hold.' })
export class AuditLogFilter {
  @Field(() => String, { nullable: true, description: 'e.g. `Contact`.' })
  objectType?: string | null;

  @Field(() => ID, { nullable: true, description: 'A global id, or a raw record id.' })
  objectId?: string | null;

  @Field(() => ID, { nullable: true, description: "A user's global id." })
  actor?: string | null;

  @Field(() => String, { nullable: true, description: 'An exact action (`contact.updated`) or a prefix ending in a dot (`contact.`).' })
  action?: string | null;

  @Field(() => Date, { nullable: true, description: 'Entries at or after this time.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Entries before this time.' })
  to?: Date | null;
}
