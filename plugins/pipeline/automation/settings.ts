import { z } from '../../../src/sdk/index.js';

/**
 * The pipeline plugin's per-workspace settings. What happens when a deal is won is no longer a setting: it is three
 * default automation rules (deal-automation.ts) a workspace edits, switches off or deletes like any rule.
 */
export const pipelineSettings = z.object({
  /** The rotting job: one reminder task per deal and stay in a stage past the stage's rotting_days. */
  rottingReminders: z.boolean().default(true),
});

export type PipelineSettings = z.infer<typeof pipelineSettings>;
