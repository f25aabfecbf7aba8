import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/core';
import { ConsentActorKind, ConsentField } from './consent-change.entity.js';

/** A contact's consent fields as written: the status, and the do-not flags. */
export interface ConsentValues {
  marketingConsent: string;
  doNotContact: boolean;
  doNotEmail: boolean;
  doNotCall: boolean;
}

/** Entity property → history field. */
export const CONSENT_PROPERTIES: Record<keyof ConsentValues, ConsentField> = {
  marketingConsent: ConsentField.MARKETING_CONSENT,
  doNotContact: ConsentField.DO_NOT_CONTACT,
  doNotEmail: ConsentField.DO_NOT_EMAIL,
  doNotCall: ConsentField.DO_NOT_CALL,
};

/** What a new contact has unless told otherwise: creating one with these values records nothing. */
const DEFAULTS: ConsentValues = { marketingConsent: 'UNKNOWN', doNotContact: false, doNotEmail: false, doNotCall: false };

export interface FieldChange {
  field: ConsentField;
  from: string | null;
  to: string;
}

/** The consent fields that differ between `before` (null: a new contact) and `after`, as history values. */
export function consentChanges(before: ConsentValues | null, after: ConsentValues): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [property, field] of Object.entries(CONSENT_PROPERTIES) as [keyof ConsentValues, ConsentField][]) {
    const was = (before ?? DEFAULTS)[property];
    const now = after[property];
    if (String(was) !== String(now)) changes.push({ field, from: before ? String(was) : null, to: String(now) });
  }
  return changes;
}

export interface ConsentActor {
  kind: ConsentActorKind;
  id?: string | null;
}

/** Where a consent was given or withdrawn, and on what legal basis: the writer's words, kept with each change. */
export interface ConsentNote {
  source?: string | null;
  legalBasis?: string | null;
}

// control characters (NUL included) have no place in a note a person reads; newlines neither
const CONTROL = /\p{Cc}/u;
const plainText = (max: number) =>
  z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .refine((s) => !CONTROL.test(s), { message: 'must not contain control characters' })
    .transform((s) => s.trim() || null)
    .nullish();

/** The optional `consentSource` / `legalBasis` of contact inputs (and the SDK's note). */
export const consentNoteFields = { consentSource: plainText(500), legalBasis: plainText(200) };

/** A plugin's actor: a kind of the enum and an id of at most 200 characters. */
export const consentActorSchema = z.strictObject({
  kind: z.enum(ConsentActorKind),
  id: z
    .string()
    .min(1)
    .max(200)
    .refine((s) => !CONTROL.test(s), { message: 'must not contain control characters' })
    .nullish(),
});

const actorsByEm = new WeakMap<object, { actor: ConsentActor; note: ConsentNote }>();
const actorsByTransaction = new WeakMap<object, { actor: ConsentActor; note: ConsentNote }>();
const notes = new WeakMap<object, ConsentNote>();

/**
 * Runs `work` with consent changes flushed through `em` (or a fork in its transaction) attributed to `actor` — not to
 * the member or API key of the request — with `note` unless the contact carries its own. Restores what was before.
 */
export async function withConsentActor<T>(em: EntityManager, actor: ConsentActor, note: ConsentNote, work: () => Promise<T>): Promise<T> {
  const trx = em.getTransactionContext() as object | undefined;
  const previous = [actorsByEm.get(em), trx && actorsByTransaction.get(trx)] as const;
  actorsByEm.set(em, { actor, note });
  if (trx) actorsByTransaction.set(trx, { actor, note });
  try {
    return await work();
  } finally {
    if (previous[0]) actorsByEm.set(em, previous[0]);
    else actorsByEm.delete(em);
    if (trx) {
      if (previous[1]) actorsByTransaction.set(trx, previous[1]);
      else actorsByTransaction.delete(trx);
    }
  }
}

/** The actor `withConsentActor` set for this entity manager or its transaction. */
export function consentActorOf(em: EntityManager): { actor: ConsentActor; note: ConsentNote } | null {
  const direct = actorsByEm.get(em);
  if (direct) return direct;
  const trx = em.getTransactionContext() as object | undefined;
  return (trx && actorsByTransaction.get(trx)) || null;
}

/** Attaches a note (source, legal basis) to the next consent changes flushed of this contact entity. */
export function noteConsent(contact: object, note: ConsentNote): void {
  if (note.source || note.legalBasis) notes.set(contact, note);
}

export function takeConsentNote(contact: object): ConsentNote | undefined {
  const note = notes.get(contact);
  notes.delete(contact);
  return note;
}
