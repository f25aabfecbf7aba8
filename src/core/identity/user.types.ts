import { Field, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';

@ObjectType('User', { implements: Node })
export class UserNode extends Node {
  @Field() email!: string;
  @Field() name!: string;
  @Field() createdAt!: Date;
}
