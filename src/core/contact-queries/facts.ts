import type { z } from 'zod';
import { raw, sql, type Sql } from '../../db/sql.js';
import type { RequestContext } from '../../graphql/context.js';
import type { DomainEvent } from '../../events/handlers.js';
import { AppSlot, lookupInApp, type AppScoped } from '../../registries/app-slot.js';
import { ContributionRegistry, KERNEL_OWNER } from '../../registries/contribution-registry.js';

/**
 * Facts: conditions on a contact that another part of the system knows how to compute in SQL ("has an open deal in
 * stage S", "opened campaign X in the last 30 days"). Rules name them as `{ fact: key, params }`; the kernel's own
 * (activities) and the plugins' (a manifest's `contactFacts`) live in one registry per app.
 */
export interface ContactFactTarget {
  ctx: RequestContext;
  /** The alias of the contact row in the statement: compare with `<alias>.id`. */
  contact: string;
  /**
   * The workspace of the statement: compare your tables' `workspace_id` with it (a parameter, not
   * `<alias>.workspace_id`), so their workspace indexes serve the condition.
   */
  workspaceId: string;
  /** "Now" of the query (`options.now`, default the wall clock): use it for "in the last N days", never `now()`. */
  now: Date;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds facts of every params type
export interface ContactFact<Params = any> {
  /** `<plugin id>.<name>` (the kernel's: `activity.logged`). */
  key: string;
  description: string;
  /** zod schema of the rule's `params` (`{}` when it takes none). */
  params: z.ZodType<Params>;
  /** An SQL boolean over the contact row, on the contributor's own tables (parameters through `sql`). */
  condition(params: Params, target: ContactFactTarget): Sql;
  dependsOn: {
    /** Event types that can change whether the fact holds. */
    events: string[];
    /** The contacts (uuids) such an event may have changed it for; without it, none (time-based facts). */
    contactIdsOf?(event: DomainEvent, ctx: RequestContext): Promise<string[]>;
  };
  /** True when time alone changes it ("in the last N days"): segments using it are re-evaluated on a schedule. */
  timeBased?: boolean;
}

/** Declares a fact with its params' type inferred from the zod schema. */
export function defineContactFact<Schema extends z.ZodType>(
  fact: ContactFact<z.output<Schema>> & { params: Schema },
): ContactFact<z.output<Schema>> {
  return fact;
}

export type ContactFactRegistry = ContributionRegistry<ContactFact>;

/** The kernel's facts (registered below); every app's registry builds on it. */
export const kernelContactFacts: ContactFactRegistry = new ContributionRegistry<ContactFact>('contact fact');

export const CONTACT_FACTS_SLOT = new AppSlot<ContactFactRegistry>('contact facts');

/** The facts of the app owning `em`: its plugins' over the kernel's. */
export function contactFactsOf(em: AppScoped): ContactFactRegistry {
  return lookupInApp(em, CONTACT_FACTS_SLOT) ?? kernelContactFacts;
}

export function registerKernelContactFact(fact: ContactFact): void {
  kernelContactFacts.add(KERNEL_OWNER, fact.key, fact);
}

/** `now - days` as an SQL timestamp parameter. */
export const daysBefore = (now: Date, days: number): Sql => sql`${new Date(now.getTime() - days * 86_400_000).toISOString()}::timestamptz`;

/** Activity links on the contact's timeline (live activities only). */
export const activityLinksOf = (contact: string, workspaceId: string): Sql =>
  sql`select 1 from timeline_link l join activity a on a.id = l.entry_id and a.deleted_at is null
    where l.workspace_id = ${workspaceId} and l.target_type = 'Contact' and l.target_id = ${raw(contact)}.id and l.entry_kind = 'activity'`;
