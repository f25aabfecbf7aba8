import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../../graphql/relay.js';
import { ConsentActorKind, ConsentField } from './consent-change.entity.js';

registerEnumType(ConsentField, { name: 'ConsentField', description: 'A contact field whose changes are kept in consentHistory.' });
registerEnumType(ConsentActorKind, { name: 'ConsentActorKind', description: 'Who or what changed a consent field.' });

@ObjectType('ConsentChange', { description: "One change of a contact's marketing consent or of a do-not flag." })
export class ConsentChangeNode {
  @Field(() => ID) id!: string;
  @Field(() => ConsentField) field!: ConsentField;
  @Field(() => String, {
    nullable: true,
    description: 'The value before (`GRANTED`, `true`, …); null when the contact was created with it.',
  })
  from!: string | null;
  @Field(() => String, { description: 'The value written.' }) to!: string;
  @Field() changedAt!: Date;
  @Field(() => ConsentActorKind) actorKind!: ConsentActorKind;
  @Field(() => String, {
    nullable: true,
    description:
      'The global id of the User, ApiKey, ImportJob or AutomationRule that made the change; for UNSUBSCRIBE what the plugin recorded; null for SYSTEM.',
  })
  actorId!: string | null;
  @Field(() => String, { nullable: true, description: 'Where the consent was given or withdrawn, as the writer said.' })
  source!: string | null;
  @Field(() => String, { nullable: true }) legalBasis!: string | null;
}

export const ConsentChangeConnection = Connection(ConsentChangeNode, 'ConsentChange');
