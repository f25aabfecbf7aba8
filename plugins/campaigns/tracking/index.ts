import { aboutTheirContact } from '../segments/events.js';
import { CAMPAIGN_EVENTS } from '../sending/events.js';

export { engagementFacts } from './facts.js';
export { trackingRoutes } from './routes.js';

/** Rules triggered by the campaign engagement events (opened, clicked, unsubscribed …) are about the contact. */
export const engagementEventRecords = aboutTheirContact(CAMPAIGN_EVENTS);
