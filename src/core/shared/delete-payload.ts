import { Field, ID, ObjectType } from 'type-graphql';
import { UserError } from '../../graphql/errors.js';

@ObjectType({ description: 'Result of erasing a record for good.' })
export class DeletePayload {
  @Field(() => ID, { nullable: true }) deletedId?: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
