import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection, GraphQLJSON, Node, UserError } from '../../../src/sdk/index.js';
import { SegmentKind } from './entities.js';

registerEnumType(SegmentKind, {
  name: 'CampaignSegmentKind',
  description: 'STATIC: members added and removed by hand or by import. DYNAMIC: the contacts its rules match, kept current.',
});

@ObjectType('CampaignSegment', {
  implements: Node,
  description: 'A static list or a dynamic segment of contacts: the audience of campaigns.',
})
export class CampaignSegmentNode extends Node {
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => SegmentKind) kind!: SegmentKind;
  @Field(() => GraphQLJSON, { nullable: true, description: 'The rules of a dynamic segment (the contact rule language); null for a list.' })
  rules?: unknown;
  @Field(() => Int, { description: 'All members, whoever may see them (`members` lists those in the caller’s scope).' })
  memberCount!: number;
  @Field(() => Date, { nullable: true, description: 'When a dynamic segment’s membership was last computed in full.' })
  evaluatedAt?: Date | null;
  @Field(() => Int) version!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

export const CampaignSegmentConnection = Connection(CampaignSegmentNode, 'CampaignSegment');

@InputType()
export class CreateCampaignSegmentInput {
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => SegmentKind) kind!: SegmentKind;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Required for DYNAMIC, absent for STATIC.' }) rules?: unknown;
}

@InputType({ description: 'Only the given fields change; `rules` only of a dynamic segment (its members are recomputed).' })
export class UpdateCampaignSegmentInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true }) version?: number | null;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => GraphQLJSON, { nullable: true }) rules?: unknown;
}

@InputType()
export class DeleteCampaignSegmentInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true }) version?: number | null;
}

@InputType()
export class CampaignListMembersInput {
  @Field(() => ID, { description: 'A STATIC segment.' }) segmentId!: string;
  @Field(() => [ID], { description: 'At most 1,000 contacts the caller may read.' }) contactIds!: string[];
}

@InputType({
  description: 'A CSV with a header row; the column named `email` (or `emailColumn`) finds contacts by any of their addresses.',
})
export class ImportCampaignListCsvInput {
  @Field(() => ID, { description: 'A STATIC segment.' }) segmentId!: string;
  @Field({ description: 'At most 5 MB and 100,000 rows.' }) csv!: string;
  @Field(() => String, { nullable: true }) emailColumn?: string | null;
}

@ObjectType()
export class CampaignSegmentPayload {
  @Field(() => CampaignSegmentNode, { nullable: true }) segment?: CampaignSegmentNode | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class DeleteCampaignSegmentPayload {
  @Field(() => ID, { nullable: true }) deletedId?: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class CampaignListMembersPayload {
  @Field(() => CampaignSegmentNode, { nullable: true }) segment?: CampaignSegmentNode | null;
  @Field(() => Int, {
    nullable: true,
    description: 'Contacts that entered (adding) or left (removing) the list; the others already were / were not members.',
  })
  changed?: number | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class ImportCampaignListPayload {
  @Field(() => CampaignSegmentNode, { nullable: true }) segment?: CampaignSegmentNode | null;
  @Field(() => Int, { nullable: true, description: 'Data rows read.' }) rows?: number | null;
  @Field(() => Int, { nullable: true, description: 'Contacts that entered the list.' }) added?: number | null;
  @Field(() => Int, { nullable: true, description: 'Rows whose contact already was a member (or appeared earlier in the file).' })
  alreadyMembers?: number | null;
  @Field(() => Int, { nullable: true, description: 'Rows whose address no contact the caller may read holds.' }) unknown?: number | null;
  @Field(() => [String], { nullable: true, description: 'The first 100 of those addresses.' }) unknownEmails?: string[] | null;
  @Field(() => Int, { nullable: true, description: 'Rows without a valid address.' }) invalid?: number | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType({ description: 'What a segment definition would hold now, before it is saved.' })
export class CampaignSegmentPreview {}
