import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Node } from '../../graphql/relay.js';
import { UserError } from '../../graphql/errors.js';
import { Address, AddressInput, EmailAddress, EmailAddressInput, Phone, PhoneInput } from '../shared/value-types.js';
import { LifecycleStage } from '../shared/value-objects.js';
import { ConsentStatus } from './contact.entity.js';

const CONSENT_SOURCE_DESCRIPTION =
  'Where the consent or the do-not wish given here comes from ("web form /pricing", "phone call"): kept in consentHistory with the changes of this write. At most 500 characters, no control characters.';
const LEGAL_BASIS_DESCRIPTION =
  'The legal basis of the changes of this write ("consent", "legitimate interest", …), kept in consentHistory. At most 200 characters.';

registerEnumType(ConsentStatus, { name: 'ConsentStatus', description: 'Whether the person agreed to marketing messages.' });

@ObjectType('Contact', { implements: Node })
export class ContactNode extends Node {
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => [EmailAddress], {
    nullable: true,
    description: 'Email addresses, lower-cased; exactly one is primary. Null when hidden by your field allowlist.',
  })
  emails?: EmailAddress[] | null;
  @Field(() => String, { nullable: true }) primaryEmail?: string | null;
  @Field(() => [Phone], { nullable: true, description: 'Null when hidden by your field allowlist.' }) phones?: Phone[] | null;
  @Field(() => String, { nullable: true }) jobTitle?: string | null;
  @Field(() => Address, { nullable: true }) address?: Address | null;
  @Field(() => LifecycleStage) lifecycleStage!: LifecycleStage;
  @Field(() => String, { nullable: true, description: 'Where the contact came from (web form, import, event, …).' }) source?: string | null;
  @Field(() => ConsentStatus) marketingConsent!: ConsentStatus;
  @Field(() => Date, { nullable: true, description: 'When marketingConsent last changed.' }) consentUpdatedAt?: Date | null;
  @Field() doNotContact!: boolean;
  @Field() doNotEmail!: boolean;
  @Field() doNotCall!: boolean;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Custom field values by key. Null when hidden by your field allowlist.' })
  customFields?: Record<string, unknown> | null;
  @Field(() => Int, { description: 'Optimistic-locking version: send it back when you update.' }) version!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
  @Field(() => Date, { nullable: true, description: 'Set while the contact is in the trash.' }) deletedAt?: Date | null;
}

@InputType()
export class CreateContactInput {
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => [EmailAddressInput], {
    nullable: true,
    description: 'The first entry flagged primary (else the first) is the primary email.',
  })
  emails?: EmailAddressInput[];
  @Field(() => [PhoneInput], { nullable: true }) phones?: PhoneInput[];
  @Field(() => String, { nullable: true }) jobTitle?: string | null;
  @Field(() => ID, { nullable: true }) companyId?: string | null;
  @Field(() => AddressInput, { nullable: true }) address?: AddressInput | null;
  @Field(() => ID, { nullable: true }) ownerId?: string | null;
  @Field(() => [ID], { nullable: true }) tagIds?: string[];
  @Field(() => LifecycleStage, { nullable: true }) lifecycleStage?: LifecycleStage | null;
  @Field(() => String, { nullable: true }) source?: string | null;
  @Field(() => ConsentStatus, { nullable: true }) marketingConsent?: ConsentStatus | null;
  @Field(() => Boolean, { nullable: true }) doNotContact?: boolean | null;
  @Field(() => Boolean, { nullable: true }) doNotEmail?: boolean | null;
  @Field(() => Boolean, { nullable: true }) doNotCall?: boolean | null;
  @Field(() => String, { nullable: true, description: CONSENT_SOURCE_DESCRIPTION }) consentSource?: string | null;
  @Field(() => String, { nullable: true, description: LEGAL_BASIS_DESCRIPTION }) legalBasis?: string | null;
  @Field(() => GraphQLJSON, { nullable: true }) customFields?: Record<string, unknown>;
  @Field(() => String, { nullable: true, description: 'Repeating a create with the same key returns the first result.' })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Only the given fields change; `null` clears a field.' })
export class UpdateContactInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { description: 'The version you edited; a newer stored version is a CONFLICT.' }) version!: number;
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => [EmailAddressInput], { nullable: true }) emails?: EmailAddressInput[];
  @Field(() => [PhoneInput], { nullable: true }) phones?: PhoneInput[];
  @Field(() => String, { nullable: true }) jobTitle?: string | null;
  @Field(() => ID, { nullable: true }) companyId?: string | null;
  @Field(() => AddressInput, { nullable: true }) address?: AddressInput | null;
  @Field(() => ID, { nullable: true }) ownerId?: string | null;
  @Field(() => [ID], { nullable: true }) tagIds?: string[];
  @Field(() => LifecycleStage, { nullable: true }) lifecycleStage?: LifecycleStage | null;
  @Field(() => String, { nullable: true }) source?: string | null;
  @Field(() => ConsentStatus, { nullable: true }) marketingConsent?: ConsentStatus | null;
  @Field(() => Boolean, { nullable: true }) doNotContact?: boolean | null;
  @Field(() => Boolean, { nullable: true }) doNotEmail?: boolean | null;
  @Field(() => Boolean, { nullable: true }) doNotCall?: boolean | null;
  @Field(() => String, { nullable: true, description: CONSENT_SOURCE_DESCRIPTION }) consentSource?: string | null;
  @Field(() => String, { nullable: true, description: LEGAL_BASIS_DESCRIPTION }) legalBasis?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Merged over current values; a null value clears that key.' })
  customFields?: Record<string, unknown>;
}

@ObjectType()
export class ContactPayload {
  @Field(() => ContactNode, { nullable: true }) contact?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}
