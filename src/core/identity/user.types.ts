import { Field, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { MembershipRole } from './membership.entity.js';
import { registerEnumType } from 'type-graphql';

registerEnumType(MembershipRole, { name: 'MembershipRole' });

@ObjectType('User', { implements: Node })
export class UserNode extends Node {
  @Field() email!: string;
  @Field() name!: string;
  @Field() createdAt!: Date;
}
