import type { RequestContext } from '../../graphql/context.js';
import type { Sql } from '../../db/sql.js';
import { AppSlot, lookupInApp, type AppScoped } from '../../registries/app-slot.js';

/** Erasure modes: ANONYMIZE keeps the records (aggregates stay honest) without the person; DELETE removes what is only theirs. */
export enum ErasureMode {
  ANONYMIZE = 'ANONYMIZE',
  DELETE = 'DELETE',
}

/** The person a privacy request is about, as the kernel hands it to every plugin. */
export interface PrivacySubject {
  /** The contact's uuid. */
  readonly contactId: string;
  /** It and the contacts merged into it (the same person): a plugin's rows may point at any of them. */
  readonly contactIds: readonly string[];
  /** Every address the person had (lower-cased). */
  readonly emails: readonly string[];
  /**
   * Replaces the person's identifying values (names, addresses, phone numbers, postal address lines) by `[erased]` in
   * `columns` (text, varchar, text[], json or jsonb) of the rows of `table` that `where` selects, in the workspace;
   * returns the rows changed. For free text the plugin keeps (a deal's name, a ticket's subject).
   */
  scrub(table: string, columns: readonly string[], where: Sql): Promise<number>;
  /**
   * Names the plugin's records that are about the person (the deals they are on): after the plugins, the kernel
   * scrubs the identifying values from every row and audit entry that mentions them too (their events, their history).
   */
  relate(recordIds: readonly string[]): void;
}

/** What one erasure did: rows per kind (`{ dealContacts: 2 }`), summed into the payload's `plugin:<id>` section. */
export type ErasedRows = Record<string, number>;

/**
 * A plugin's part of privacy requests (manifest field `privacy`). The kernel calls it for every installed plugin,
 * enabled or disabled in the workspace (a disabled plugin's rows are still personal data), inside the request's
 * transaction: `ctx.em` reads and writes the workspace, a throw rolls the whole request back. Write with plain SQL
 * (`ctx.em.execute`), not the unit of work: flushed entities would be audited and emitted as events with the very
 * values being erased.
 */
export interface PrivacyHandler {
  /** Everything the plugin holds about the person, as JSON (the `plugins.<id>` section of the export). */
  export(ctx: RequestContext, subject: PrivacySubject): Promise<unknown>;
  /** Keep the plugin's records, drop what identifies the person (free text: `subject.scrub`). */
  anonymize(ctx: RequestContext, subject: PrivacySubject): Promise<ErasedRows>;
  /** Remove what only the person owns and every link to them; records shared with others stay. */
  delete(ctx: RequestContext, subject: PrivacySubject): Promise<ErasedRows>;
}

export interface RegisteredPrivacyHandler {
  plugin: string;
  enabledByDefault: boolean;
  handler: PrivacyHandler;
}

export const PRIVACY_HANDLERS_SLOT = new AppSlot<RegisteredPrivacyHandler[]>('privacy handlers');

/** The app's installed plugins' privacy handlers, in load order. */
export function privacyHandlersOf(em: AppScoped): RegisteredPrivacyHandler[] {
  return lookupInApp(em, PRIVACY_HANDLERS_SLOT) ?? [];
}
