import { z } from 'zod';
import { sql } from '../../db/sql.js';
import type { RequestContext } from '../../graphql/context.js';
import type { DomainEvent } from '../../events/handlers.js';
import { ActivityType } from '../activities/activity.entity.js';
import { activityLinksOf, daysBefore, defineContactFact, registerKernelContactFact } from './facts.js';

/**
 * The kernel's behaviour facts, registered like a plugin's: "an activity (of a type) in the last N days" and "no
 * activity for N days". Both are time-based and change on the activity events of the contact's timeline.
 */

const days = z.number().int().min(0).max(3650);
const ACTIVITY_EVENTS = ['activity.logged', 'activity.updated', 'activity.deleted'];

/** The contacts an activity event is about: the activity's timeline links (none once they are gone). */
async function activityContacts(event: DomainEvent, ctx: RequestContext): Promise<string[]> {
  const id = (event.payload as { id?: unknown }).id;
  if (typeof id !== 'string') return [];
  const q = sql`select target_id from timeline_link
    where workspace_id = ${event.workspaceId} and entry_kind = 'activity' and entry_id = ${id} and target_type = 'Contact'`;
  const rows = await ctx.em.execute<{ target_id: string }[]>(q.text, q.params);
  return rows.map((r) => r.target_id);
}

export const activityLoggedFact = defineContactFact({
  key: 'activity.logged',
  description: 'An activity (of a type, if given) on the contact in the last withinLastDays days',
  params: z.strictObject({ type: z.enum(ActivityType).optional(), withinLastDays: days }),
  condition: (params, { contact, workspaceId, now }) =>
    sql`exists (${activityLinksOf(contact, workspaceId)} and l.occurred_at >= ${daysBefore(now, params.withinLastDays)} and l.occurred_at <= ${now.toISOString()}::timestamptz${
      params.type ? sql` and l.entry_type = ${params.type}` : sql``
    })`,
  dependsOn: { events: ACTIVITY_EVENTS, contactIdsOf: activityContacts },
  timeBased: true,
});

export const activityNoneFact = defineContactFact({
  key: 'activity.none',
  description: 'No activity on the contact for the last days days (contacts without any activity included)',
  params: z.strictObject({ days }),
  condition: (params, { contact, workspaceId, now }) =>
    sql`not exists (${activityLinksOf(contact, workspaceId)} and l.occurred_at >= ${daysBefore(now, params.days)} and l.occurred_at <= ${now.toISOString()}::timestamptz)`,
  dependsOn: { events: ACTIVITY_EVENTS, contactIdsOf: activityContacts },
  timeBased: true,
});

registerKernelContactFact(activityLoggedFact);
registerKernelContactFact(activityNoneFact);
