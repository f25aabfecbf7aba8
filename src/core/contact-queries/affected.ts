import { sql } from '../../db/sql.js';
import { workspaceOf, type RequestContext } from '../../graphql/context.js';
import type { DomainEvent } from '../../events/handlers.js';
import { eventsOf } from '../../events/registry.js';
import { contactFactsOf } from './facts.js';
import type { CompiledContactRules } from './validate.js';

/**
 * What an event can change about contacts' membership of segments: which contacts, which fields (rule field paths;
 * `*` for every field, `company.*` for every company field) and which facts (`*`: every fact). A segment's rules are
 * affected when they read one of them (`rulesAffectedBy`); only `contactIds` then need re-evaluating.
 */
export interface AffectedContacts {
  contactIds: string[];
  fields: string[];
  facts: string[];
}

export const EVERYTHING = '*';
const NOTHING: AffectedContacts = { contactIds: [], fields: [], facts: [] };

/** A contact update's changed columns (`changedFields`, `changes`) as rule field paths. */
const CONTACT_FIELD_OF: Record<string, string[]> = {
  firstName: ['firstName'],
  lastName: ['lastName'],
  primaryEmail: ['email'],
  jobTitle: ['jobTitle'],
  source: ['source'],
  lifecycleStage: ['lifecycleStage'],
  marketingConsent: ['marketingConsent'],
  doNotContact: ['doNotContact'],
  doNotEmail: ['doNotEmail'],
  doNotCall: ['doNotCall'],
  owner: ['ownerId', 'owner.teams'],
  company: ['companyId', 'company.*'],
  tags: ['tags'],
};

const COMPANY_FIELD_OF: Record<string, string[]> = {
  name: ['company.name'],
  primaryDomain: ['company.domain'],
  industry: ['company.industry'],
  website: ['company.website'],
  employeeCount: ['company.employeeCount'],
  annualRevenueAmount: ['company.annualRevenue'],
  lifecycleStage: ['company.lifecycleStage'],
};

type Changes = Record<string, { before?: unknown; after?: unknown }>;

/** Custom field keys whose value differs between a change's before and after. */
function changedCustomKeys(change: { before?: unknown; after?: unknown } | undefined): string[] {
  const before = (change?.before ?? {}) as Record<string, unknown>;
  const after = (change?.after ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys].filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]));
}

function updatedFields(
  payload: { changedFields?: unknown; changes?: unknown },
  map: Record<string, string[]>,
  customPrefix: string,
): string[] {
  const changed = Array.isArray(payload.changedFields) ? payload.changedFields.map(String) : [];
  const changes = (payload.changes ?? {}) as Changes;
  const fields = changed.flatMap((f) =>
    f === 'customFields' ? changedCustomKeys(changes.customFields).map((k) => `${customPrefix}${k}`) : (map[f] ?? []),
  );
  return [...new Set(fields)];
}

async function contactsOfCompany(ctx: RequestContext, companyId: string): Promise<string[]> {
  const q = sql`select id from contact where workspace_id = ${workspaceOf(ctx)} and company_id = ${companyId} and deleted_at is null order by id`;
  return (await ctx.em.execute<{ id: string }[]>(q.text, q.params)).map((r) => String(r.id));
}

/**
 * The contacts, fields and facts an event (kernel or plugin) can change. Kernel events are read from their payloads;
 * a fact's `dependsOn.events` adds the fact with the contacts its `contactIdsOf` names (facts of modules disabled in
 * the workspace are skipped).
 */
export async function contactsAffectedBy(ctx: RequestContext, event: DomainEvent): Promise<AffectedContacts> {
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  const id = typeof payload.id === 'string' ? payload.id : null;
  const result = { contactIds: new Set<string>(), fields: new Set<string>(), facts: new Set<string>() };
  const add = (ids: (string | null | undefined)[], fields: string[], facts: string[] = []) => {
    for (const c of ids) if (c) result.contactIds.add(c);
    for (const f of fields) result.fields.add(f);
    for (const f of facts) result.facts.add(f);
  };

  switch (event.type) {
    case 'contact.created':
    case 'contact.deleted':
    case 'contact.restored':
    case 'contact.purged':
      add([id], [EVERYTHING], [EVERYTHING]);
      break;
    case 'contact.merged':
      // the merged one left every segment; the survivor took its emails, tags and timeline
      add([id, typeof payload.mergedIntoId === 'string' ? payload.mergedIntoId : null], [EVERYTHING], [EVERYTHING]);
      break;
    case 'contact.updated':
      // every update stamps updatedAt
      add([id], ['updatedAt', ...updatedFields(payload, CONTACT_FIELD_OF, 'custom.')]);
      break;
    case 'contact.lifecycleChanged':
      add([id], ['lifecycleStage']);
      break;
    case 'contact.tagsChanged':
      add([id], ['tags']);
      break;
    case 'company.updated': {
      const fields = updatedFields(payload, COMPANY_FIELD_OF, 'company.custom.');
      if (id && fields.length) add(await contactsOfCompany(ctx, id), fields);
      break;
    }
    case 'company.deleted':
    case 'company.restored':
    case 'company.merged':
    case 'company.purged':
      if (id) add(await contactsOfCompany(ctx, id), ['company.*']);
      break;
    case 'activity.logged':
    case 'activity.updated':
    case 'activity.deleted':
      // lastActivityAt: the contacts come with the kernel's activity facts below
      break;
  }

  const facts = contactFactsOf(ctx.em);
  const events = eventsOf(ctx.em);
  for (const [key, fact, owner] of facts.entries()) {
    if (!fact.dependsOn.events.includes(event.type)) continue;
    if (!(await events.isPluginEnabled(workspaceOf(ctx), owner))) continue;
    const ids = (await fact.dependsOn.contactIdsOf?.(event, ctx)) ?? [];
    add(ids, event.type.startsWith('activity.') ? ['lastActivityAt'] : [], [key]);
  }
  if (!result.contactIds.size) return NOTHING;
  return { contactIds: [...result.contactIds], fields: [...result.fields], facts: [...result.facts] };
}

/** Whether rules read anything `affected` names (false for an event that touched no contact). */
export function rulesAffectedBy(compiled: CompiledContactRules, affected: AffectedContacts): boolean {
  if (!affected.contactIds.length) return false;
  const { fields, facts } = compiled.dependencies;
  const fieldHit = (changed: string) =>
    changed === EVERYTHING ||
    fields.includes(changed) ||
    (changed === 'company.*' && fields.some((f) => f.startsWith('company.'))) ||
    (changed === 'custom.*' && fields.some((f) => f.startsWith('custom.')));
  return affected.fields.some(fieldHit) || affected.facts.some((f) => f === EVERYTHING || facts.includes(f));
}
