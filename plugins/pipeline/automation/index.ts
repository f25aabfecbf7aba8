import type { PluginJob } from '../../../src/sdk/index.js';
import type { PipelineSettings } from './settings.js';
import { dealRottingNotification, rottingJob as rotting } from './rotting.js';

export { pipelineSettings, type PipelineSettings } from './settings.js';
export { pipelineAutomation, dealRecordType, moveToStageAction, wonDealRules } from './deal-automation.js';

/** Reminds deal owners of deals rotting in their stage, once per stay. */
export const rottingJob: PluginJob<PipelineSettings> = rotting;

/** Notification types the automation sends (the manifest's `notificationTypes`). */
export const automationNotificationTypes = [dealRottingNotification];
