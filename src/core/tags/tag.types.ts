import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { UserError } from '../../graphql/errors.js';

@ObjectType('Tag', { implements: Node })
export class TagNode extends Node {
  @Field() name!: string;
  @Field(() => String, { nullable: true }) color?: string | null;
}

@InputType()
export class CreateTagInput {
  @Field() name!: string;
  @Field(() => String, { nullable: true, description: 'Hex colour, e.g. #3366ff.' }) color?: string | null;
}

@InputType()
export class UpdateTagInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) color?: string | null;
}

@ObjectType()
export class TagPayload {
  @Field(() => TagNode, { nullable: true }) tag?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}
