import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Node } from '../../graphql/relay.js';
import { UserError } from '../../graphql/errors.js';
import { Address, AddressInput, MoneyInput, Phone, PhoneInput } from '../shared/value-types.js';
import { LifecycleStage } from '../shared/value-objects.js';

@ObjectType('Company', { implements: Node })
export class CompanyNode extends Node {
  @Field() name!: string;
  @Field(() => [String], { description: 'Domains, lower-cased; the first is the primary one.' }) domains!: string[];
  @Field(() => String, { nullable: true }) primaryDomain?: string | null;
  @Field(() => String, { nullable: true }) industry?: string | null;
  @Field(() => Int, { nullable: true }) employeeCount?: number | null;
  @Field(() => Address, { nullable: true }) address?: Address | null;
  @Field(() => [Phone], { nullable: true, description: 'Null when hidden by your field allowlist.' }) phones?: Phone[] | null;
  @Field(() => String, { nullable: true }) website?: string | null;
  @Field(() => LifecycleStage, { nullable: true }) lifecycleStage?: LifecycleStage | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Custom field values by key. Null when hidden by your field allowlist.' })
  customFields?: Record<string, unknown> | null;
  @Field(() => Int, { description: 'Optimistic-locking version: send it back when you update.' }) version!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
  @Field(() => Date, { nullable: true, description: 'Set while the company is in the trash.' }) deletedAt?: Date | null;
}

@InputType()
export class CreateCompanyInput {
  @Field() name!: string;
  @Field(() => [String], { nullable: true }) domains?: string[];
  @Field(() => String, { nullable: true }) industry?: string | null;
  @Field(() => Int, { nullable: true }) employeeCount?: number | null;
  @Field(() => MoneyInput, { nullable: true }) annualRevenue?: MoneyInput | null;
  @Field(() => AddressInput, { nullable: true }) address?: AddressInput | null;
  @Field(() => [PhoneInput], { nullable: true }) phones?: PhoneInput[];
  @Field(() => String, { nullable: true }) website?: string | null;
  @Field(() => ID, { nullable: true }) ownerId?: string | null;
  @Field(() => [ID], { nullable: true }) tagIds?: string[];
  @Field(() => LifecycleStage, { nullable: true }) lifecycleStage?: LifecycleStage | null;
  @Field(() => GraphQLJSON, { nullable: true }) customFields?: Record<string, unknown>;
  @Field(() => String, { nullable: true, description: 'Repeating a create with the same key returns the first result.' })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Only the given fields change; `null` clears a field.' })
export class UpdateCompanyInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { description: 'The version you edited; a newer stored version is a CONFLICT.' }) version!: number;
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => [String], { nullable: true }) domains?: string[];
  @Field(() => String, { nullable: true }) industry?: string | null;
  @Field(() => Int, { nullable: true }) employeeCount?: number | null;
  @Field(() => MoneyInput, { nullable: true }) annualRevenue?: MoneyInput | null;
  @Field(() => AddressInput, { nullable: true }) address?: AddressInput | null;
  @Field(() => [PhoneInput], { nullable: true }) phones?: PhoneInput[];
  @Field(() => String, { nullable: true }) website?: string | null;
  @Field(() => ID, { nullable: true }) ownerId?: string | null;
  @Field(() => [ID], { nullable: true }) tagIds?: string[];
  @Field(() => LifecycleStage, { nullable: true }) lifecycleStage?: LifecycleStage | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Merged over current values; a null value clears that key.' })
  customFields?: Record<string, unknown>;
}

@ObjectType()
export class CompanyPayload {
  @Field(() => CompanyNode, { nullable: true }) company?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}
