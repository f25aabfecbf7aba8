import { z } from '../../../src/sdk/index.js';

/** The pipeline plugin's per-workspace settings: every automation step can be switched off. */
export const pipelineSettings = z.object({
  /** On deal.won: the deal's primary contact becomes a CUSTOMER (unless already one). */
  wonDealSetsContactCustomer: z.boolean().default(true),
  /** On deal.won: the deal's company gets the deal owner as account manager (its owner) when it has none. */
  wonDealAssignsAccountManager: z.boolean().default(true),
  /** On deal.won: a follow-up task for the deal owner on the deal and its company. */
  wonDealCreatesFollowUpTask: z.boolean().default(true),
  /** Days until the follow-up task is due. */
  followUpTaskDueInDays: z.number().int().min(0).max(365).default(3),
  /** The rotting job: one reminder task per deal and stay in a stage past the stage's rotting_days. */
  rottingReminders: z.boolean().default(true),
});

export type PipelineSettings = z.infer<typeof pipelineSettings>;
