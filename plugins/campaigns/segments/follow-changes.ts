import {
  actAs,
  contactsAffectedBy,
  defineJob,
  rulesAffectedBy,
  type DomainEvent,
  type JobContext,
  type Subscriber,
  type SubscriberContext,
} from '../../../src/sdk/index.js';
import type { CampaignSettings } from '../settings.js';
import { compiledRules, dynamicSegments, reevaluateContacts, refreshSegment } from './dynamic.js';

/** Events of the plugin's own segments never move other segments (their rules read no membership). */
const OWN_EVENTS = /^segment\./;

/**
 * Membership of dynamic segments follows changes as they happen: for each event the kernel says which contacts,
 * fields and facts it touched; only segments whose rules read one of those are re-evaluated, and only for those
 * contacts (one statement per segment). It listens to every event type because facts of other plugins name their own
 * events; the kernel answers "nothing" for the rest without a query.
 */
export const followSegmentChanges: Subscriber<CampaignSettings> = {
  name: 'follow-segment-changes',
  on: ['*'],
  idempotent: true,
  timeoutMs: 60_000,
  async handle(event: DomainEvent, context: SubscriberContext<CampaignSettings>) {
    if (OWN_EVENTS.test(event.type)) return;
    await actAs(context, null, async (system) => {
      const segments = await dynamicSegments(system.em, context.workspaceId);
      if (!segments.length) return;
      const affected = await contactsAffectedBy(system, event);
      if (!affected.contactIds.length) return;
      for (const segment of segments) {
        const compiled = await compiledRules(system, segment);
        if (!compiled || !rulesAffectedBy(compiled, affected)) continue;
        await reevaluateContacts(system, segment, compiled, affected.contactIds);
      }
    });
  },
};

/** Segments with time in their rules ("no activity for 30 days") are computed in full this often. */
export const TIME_BASED_CRON = '*/15 * * * *';
/** Every other dynamic segment is computed in full once a day as well, in case an event was missed. */
const FULL_REFRESH_MS = 24 * 3600_000;

export const refreshSegmentsJob = defineJob<Record<string, never>, CampaignSettings>({
  name: 'refresh-segments',
  cron: TIME_BASED_CRON,
  async run(context: JobContext<CampaignSettings>) {
    await actAs(context, null, async (system) => {
      for (const segment of await dynamicSegments(system.em, context.workspaceId)) {
        const compiled = await compiledRules(system, segment);
        if (!compiled) continue;
        const stale = !segment.evaluatedAt || context.now.getTime() - segment.evaluatedAt.getTime() >= FULL_REFRESH_MS;
        if (compiled.dependencies.timeBased || stale) await refreshSegment(system, segment, compiled, context.now);
      }
    });
  },
});
