import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../../graphql/errors.js';
import { ErasureMode } from './privacy-provider.js';

registerEnumType(ErasureMode, {
  name: 'ErasureMode',
  description:
    'ANONYMIZE keeps the records (deals, activities, sends: aggregates stay honest) without what identifies the person; DELETE removes the person and what only they own.',
});

@ObjectType('ErasedSection', { description: 'Rows one part of an erasure changed or removed (no values).' })
export class ErasedSectionNode {
  @Field({ description: '`contact`, `activities`, `emailMessages`, `auditEntries`, `plugin:<id>`, `mentions:<table>` …' })
  section!: string;

  @Field(() => Int)
  rows!: number;
}

@ObjectType('ErasePersonalDataPayload')
export class ErasePersonalDataPayload {
  @Field(() => ID, { nullable: true })
  contactId?: string | null;

  @Field(() => ErasureMode, { nullable: true })
  mode?: ErasureMode | null;

  @Field(() => Date, { nullable: true })
  erasedAt?: Date | null;

  @Field(() => [ErasedSectionNode])
  sections: ErasedSectionNode[] = [];

  @Field(() => [UserError])
  userErrors!: UserError[];
}
