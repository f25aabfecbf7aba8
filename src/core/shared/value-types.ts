import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { LifecycleStage } from './value-objects.js';

registerEnumType(LifecycleStage, {
  name: 'LifecycleStage',
  description: 'Where a customer stands: lead → marketing-qualified → sales-qualified → opportunity → customer → churned.',
});

@ObjectType({ description: 'An amount of money in integer minor units (cents) of an ISO-4217 currency.' })
export class Money {
  @Field(() => GraphQLSafeInt, { description: 'Integer minor units, e.g. 1999 for 19.99.' })
  amount!: number;

  @Field({ description: 'ISO-4217 code, e.g. EUR.' })
  currency!: string;
}

@InputType()
export class MoneyInput {
  @Field(() => GraphQLSafeInt)
  amount!: number;

  @Field()
  currency!: string;
}

@ObjectType()
export class Address {
  @Field(() => String, { nullable: true }) street?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO-3166 alpha-2 country code.' }) country?: string | null;
}

@InputType()
export class AddressInput {
  @Field(() => String, { nullable: true }) street?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
  @Field(() => String, { nullable: true }) country?: string | null;
}

@ObjectType()
export class Phone {
  @Field() number!: string;
  @Field(() => String, { nullable: true }) label?: string | null;
  @Field() primary!: boolean;
}

@InputType()
export class PhoneInput {
  @Field() number!: string;
  @Field(() => String, { nullable: true }) label?: string | null;
  @Field({ defaultValue: false }) primary!: boolean;
}

@ObjectType()
export class EmailAddress {
  @Field() email!: string;
  @Field(() => String, { nullable: true }) label?: string | null;
  @Field() primary!: boolean;
}

@InputType()
export class EmailAddressInput {
  @Field() email!: string;
  @Field(() => String, { nullable: true }) label?: string | null;
  @Field({ defaultValue: false }) primary!: boolean;
}
