import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { UserError } from '../../graphql/errors.js';
import { CompanyNode } from '../customers/company.types.js';
import { ContactNode } from '../customers/contact.types.js';

export enum DuplicateReason {
  SAME_EMAIL = 'SAME_EMAIL',
  SAME_DOMAIN = 'SAME_DOMAIN',
  SIMILAR_NAME = 'SIMILAR_NAME',
  SAME_PHONE = 'SAME_PHONE',
}
registerEnumType(DuplicateReason, { name: 'DuplicateReason', description: 'Why two records look like the same customer.' });

@ObjectType({ description: 'A live record that looks like a duplicate of the one asked about.' })
export class DuplicateCandidate {
  @Field(() => Node, { description: 'The candidate: a Contact or a Company.' }) record!: object;
  @Field(() => [DuplicateReason]) reasons!: DuplicateReason[];
  @Field(() => Float, { description: 'Likelihood of being the same customer, 0 to 1; candidates come best first.' }) score!: number;
}

@ObjectType({ description: 'Live records of one workspace that share an email, a domain or a phone number.' })
export class DuplicateGroup {
  @Field(() => [Node], { description: 'Contacts or Companies, oldest first.' }) records!: object[];
  @Field(() => [DuplicateReason]) reasons!: DuplicateReason[];
}

@InputType({ description: 'Folds the sources into the target; the sources end up in the trash, marked as merged.' })
export class MergeInput {
  @Field(() => ID, { description: 'The record that survives.' }) targetId!: string;
  @Field(() => [ID], { description: '1 to 20 records merged into the target.' }) sourceIds!: string[];
  @Field(() => Int, { nullable: true, description: 'The target version you looked at; a newer stored version is a CONFLICT.' })
  version?: number | null;
}

@ObjectType()
export class MergeContactsPayload {
  @Field(() => ContactNode, { nullable: true }) contact?: unknown;
  @Field(() => [ID], { description: 'Global ids of the merged (now trashed) sources.' }) mergedIds!: string[];
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class MergeCompaniesPayload {
  @Field(() => CompanyNode, { nullable: true }) company?: unknown;
  @Field(() => [ID], { description: 'Global ids of the merged (now trashed) sources.' }) mergedIds!: string[];
  @Field(() => [UserError]) userErrors!: UserError[];
}
