import type { PluginJob, Subscriber } from '../../../src/sdk/index.js';
import type { PipelineSettings } from './settings.js';
import { dealRottingNotification, rottingJob as rotting } from './rotting.js';
import { wonDealSubscribers } from './won-deal.js';

export { pipelineSettings, type PipelineSettings } from './settings.js';

/** On deal.won: the primary contact becomes a customer, the company gets an account manager, a follow-up task. */
export const automationSubscribers: Subscriber<PipelineSettings>[] = [...wonDealSubscribers];

/** Reminds deal owners of deals rotting in their stage, once per stay. */
export const rottingJob: PluginJob<PipelineSettings> = rotting;

/** Notification types the automation sends (the manifest's `notificationTypes`). */
export const automationNotificationTypes = [dealRottingNotification];
