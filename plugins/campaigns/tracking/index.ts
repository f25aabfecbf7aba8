import type { AutomationContribution } from '../../../src/sdk/index.js';
import { CAMPAIGN_EVENTS } from '../sending/events.js';

export { engagementFacts } from './facts.js';
export { trackingRoutes } from './routes.js';

/** Rules triggered by the campaign engagement events (opened, clicked, unsubscribed …) are about the contact. */
export const engagementEventRecords: NonNullable<AutomationContribution['eventRecords']> = CAMPAIGN_EVENTS.map((event) => ({
  event: event.type,
  recordType: 'Contact',
  idOf: (payload: Record<string, unknown>) => (typeof payload.contactId === 'string' ? payload.contactId : null),
}));
