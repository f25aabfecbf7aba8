import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { UserError } from '../../graphql/errors.js';
import { CustomFieldType } from './custom-field-definition.entity.js';

registerEnumType(CustomFieldType, { name: 'CustomFieldType' });

@ObjectType()
export class CustomFieldOptionType {
  @Field() value!: string;
  @Field() label!: string;
}

@InputType()
export class CustomFieldOptionInput {
  @Field() value!: string;
  @Field() label!: string;
}

@ObjectType('CustomFieldDefinition', { implements: Node })
export class CustomFieldDefinitionNode extends Node {
  @Field({ description: 'Record type the field belongs to: Company, Contact, or a plugin type.' }) objectType!: string;
  @Field({ description: 'Key used in `customFields` values, filters (`filter.custom`) and `orderBy.customField`.' }) key!: string;
  @Field() label!: string;
  @Field(() => CustomFieldType) type!: CustomFieldType;
  @Field() required!: boolean;
  @Field(() => [CustomFieldOptionType]) options!: CustomFieldOptionType[];
  @Field(() => Float, { nullable: true }) min?: number | null;
  @Field(() => Float, { nullable: true }) max?: number | null;
  @Field(() => Int, { nullable: true }) maxLength?: number | null;
  @Field(() => String, { nullable: true }) currency?: string | null;
  @Field(() => Int) position!: number;
  @Field(() => Date, { nullable: true }) archivedAt?: Date | null;
}

@InputType()
export class CreateCustomFieldInput {
  @Field() objectType!: string;
  @Field() key!: string;
  @Field() label!: string;
  @Field(() => CustomFieldType) type!: CustomFieldType;
  @Field({ defaultValue: false }) required!: boolean;
  @Field(() => [CustomFieldOptionInput], { nullable: true }) options?: CustomFieldOptionInput[];
  @Field(() => Float, { nullable: true }) min?: number | null;
  @Field(() => Float, { nullable: true }) max?: number | null;
  @Field(() => Int, { nullable: true }) maxLength?: number | null;
  @Field(() => String, { nullable: true }) currency?: string | null;
  @Field(() => Int, { nullable: true }) position?: number | null;
}

@InputType({ description: 'Key and type are fixed once values exist; labels, options and rules can change.' })
export class UpdateCustomFieldInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) label?: string;
  @Field(() => Boolean, { nullable: true }) required?: boolean;
  @Field(() => [CustomFieldOptionInput], { nullable: true }) options?: CustomFieldOptionInput[];
  @Field(() => Float, { nullable: true }) min?: number | null;
  @Field(() => Float, { nullable: true }) max?: number | null;
  @Field(() => Int, { nullable: true }) maxLength?: number | null;
  @Field(() => Int, { nullable: true }) position?: number | null;
}

@ObjectType()
export class CustomFieldPayload {
  @Field(() => CustomFieldDefinitionNode, { nullable: true }) customField?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}
