import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Connection, Node } from '../../graphql/relay.js';
import { UserError } from '../../graphql/errors.js';

@ObjectType('Comment', { implements: Node, description: 'A comment on an activity.' })
export class CommentNode extends Node {
  @Field({ description: 'Text; `@[Name](<user global id>)` tokens are mentions.' }) body!: string;
  @Field(() => Date, { nullable: true }) editedAt?: Date | null;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

export const CommentConnection = Connection(CommentNode, 'Comment');

@InputType()
export class AddCommentInput {
  @Field(() => ID) activityId!: string;
  @Field({ description: 'Text; `@[Name](<user global id>)` tokens mention members.' }) body!: string;
  @Field(() => [ID], { nullable: true, description: 'Members to mention besides those in `body`.' }) mentionedUserIds?: string[];
}

@ObjectType()
export class CommentPayload {
  @Field(() => CommentNode, { nullable: true }) comment?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}
