import { z } from 'zod';
import type { RequestContext } from '../../graphql/context.js';
import { parseInput } from '../shared/validation.js';
import { ConsentStatus, type Contact } from '../customers/contact.entity.js';
import { contactForUpdate, updateContact } from '../customers/contact.service.js';
import { ConsentActorKind } from './consent-change.entity.js';
import { consentActorSchema, consentNoteFields, withConsentActor } from './consent.js';

const changeSchema = z.strictObject({
  contactId: z.string(),
  marketingConsent: z.enum(ConsentStatus).optional(),
  doNotContact: z.boolean().optional(),
  doNotEmail: z.boolean().optional(),
  doNotCall: z.boolean().optional(),
  // members and API keys are the request's own actors (updateContact records them): plugins name the others
  actor: consentActorSchema.refine((a) => a.kind !== ConsentActorKind.USER && a.kind !== ConsentActorKind.API_KEY, {
    message: 'USER and API_KEY are recorded from the request itself: update the contact with updateContact',
    path: ['kind'],
  }),
  consentSource: consentNoteFields.consentSource,
  legalBasis: consentNoteFields.legalBasis,
});

export type ChangeContactConsentInput = z.input<typeof changeSchema>;

/**
 * Changes a contact's consent fields on behalf of someone other than the request's member or key — the person
 * through an unsubscribe link, a plugin's import, background work — and records the change with that actor and the
 * note. It is `updateContact` (validation, record scope, audit, domain events) in the current transaction; rejected
 * input writes nothing.
 */
export async function changeContactConsent(ctx: RequestContext, input: ChangeContactConsentInput): Promise<Contact> {
  const { contactId, actor, consentSource, legalBasis, ...fields } = parseInput(changeSchema, input);
  const contact = await contactForUpdate(ctx, contactId, null, 'contactId');
  return withConsentActor(ctx.em, actor, { source: consentSource, legalBasis }, () =>
    updateContact(ctx, { id: contactId, version: contact.version, ...fields, consentSource, legalBasis }),
  );
}
