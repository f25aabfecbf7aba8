import { ChangeSetType, type ChangeSet, type EventSubscriber, type FlushEventArgs } from '@mikro-orm/core';
import { auditActorOf } from '../../db/audit-context.js';
import { Contact } from '../customers/contact.entity.js';
import { ConsentActorKind, ConsentChange } from './consent-change.entity.js';
import { consentActorOf, consentChanges, takeConsentNote, type ConsentActor, type ConsentValues } from './consent.js';

const valuesOf = (c: Partial<ConsentValues>): ConsentValues => ({
  marketingConsent: String(c.marketingConsent ?? 'UNKNOWN'),
  doNotContact: Boolean(c.doNotContact),
  doNotEmail: Boolean(c.doNotEmail),
  doNotCall: Boolean(c.doNotCall),
});

/**
 * Keeps the history of every contact's consent fields written through the ORM — the contact mutations, merges,
 * automation, plugins through the SDK: in `onFlush`, each created or updated contact whose consent fields changed gets
 * one `consent_change` row per field, added to the same flush (the same transaction as the change). The actor is the
 * one `withConsentActor` set (automation, unsubscribe links…), else the request's API key or member, else SYSTEM.
 * CSV imports write contacts in SQL and record their changes themselves (import-engine.ts, `consentChanges`).
 */
export class ConsentSubscriber implements EventSubscriber {
  onFlush({ em, uow }: FlushEventArgs): void {
    let context: ReturnType<typeof consentActorOf> | undefined;
    let actor: ConsentActor | undefined;
    for (const cs of uow.getChangeSets() as ChangeSet<object>[]) {
      if (cs.meta.className !== Contact.name || (cs.type !== ChangeSetType.CREATE && cs.type !== ChangeSetType.UPDATE)) continue;
      const contact = cs.entity as Contact;
      // a note goes with this write only, whether or not it changed a consent field
      const noted = takeConsentNote(contact);
      const changes = consentChanges(
        cs.type === ChangeSetType.CREATE ? null : valuesOf((cs.originalEntity ?? {}) as Partial<ConsentValues>),
        valuesOf(contact),
      );
      if (!changes.length) continue;
      context ??= consentActorOf(em);
      actor ??= context?.actor ?? requestActor(em);
      const note = noted ?? context?.note ?? {};
      const changedAt = new Date();
      for (const change of changes) {
        const row = em.create(ConsentChange, {
          workspaceId: contact.workspaceId,
          contactId: contact.id,
          field: change.field,
          fromValue: change.from,
          toValue: change.to,
          changedAt,
          actorKind: actor.kind,
          actorId: actor.id ?? null,
          source: note.source ?? null,
          legalBasis: note.legalBasis ?? null,
        });
        uow.computeChangeSet(row);
      }
    }
  }
}

function requestActor(em: FlushEventArgs['em']): ConsentActor {
  const audit = auditActorOf(em);
  if (audit?.apiKeyId) return { kind: ConsentActorKind.API_KEY, id: audit.apiKeyId };
  if (audit?.userId) return { kind: ConsentActorKind.USER, id: audit.userId };
  return { kind: ConsentActorKind.SYSTEM, id: null };
}
