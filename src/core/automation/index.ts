/**
 * Automation rules (README.md beside this file). What the rest of the kernel uses:
 *
 * - `automationSubscriber()`: the outbox subscriber that starts runs (registered in src/app/kernel-graphql.ts).
 * - `executeRun`, `startDueDateRuns`, `startDueScheduleRuns`, `dueRuns`, `configureAutomation`: for the job queue
 *   (src/app/automation-jobs.ts).
 * - `kernelAutomation`, `AUTOMATION_CATALOG_SLOT`, `AutomationCatalog`: the catalog plugins contribute to.
 */
import { kernelAutomation } from './catalog.js';
import { kernelActions } from './kernel-actions.js';
import { messagingActions } from './messaging-actions.js';
import { companyRecordType, contactRecordType } from './kernel-records.js';

kernelAutomation.recordTypes.add('kernel', contactRecordType.name, contactRecordType);
kernelAutomation.recordTypes.add('kernel', companyRecordType.name, companyRecordType);
for (const action of [...kernelActions, ...messagingActions]) kernelAutomation.actions.add('kernel', action.type, action);

export {
  AUTOMATION_CATALOG_SLOT,
  AutomationCatalog,
  automationCatalogOf,
  defineAutomationAction,
  kernelAutomation,
  type ActionContext,
  type AutomationAction,
  type AutomationField,
  type AutomationContribution,
  type AutomationRecordType,
  type DefaultRule,
  type Facts,
  type RecordPatch,
} from './catalog.js';
export {
  AUTOMATION_WORKER_SETTING,
  automationSubscriber,
  configureAutomation,
  dueRuns,
  executeRun,
  startDueDateRuns,
  startDueScheduleRuns,
  startRunsForEvent,
  type QueuedRun,
} from './engine.js';
export { AutomationRule, AutomationRuleState, AutomationRuleVersion, AutomationRun, AutomationRunStep } from './automation.entities.js';
export { automationResolvers } from './automation.resolver.js';
export { automationRules } from './automation.rules.js';
export type { RuleDefinition } from './definition.js';
