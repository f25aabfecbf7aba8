import type { SqlEntityManager } from '@mikro-orm/sql';
import type { HookContext } from './handlers.js';
import { eventsOf } from './registry.js';

/** What a write passes: its transaction's entity manager and the caller (a `RequestContext` inside runMutation fits). */
export interface HookCaller {
  em: SqlEntityManager;
  principal: { workspaceId: string | null; userId: string | null; apiKeyId: string | null };
}

/**
 * Runs the before hooks registered for `on` (`contact.create`, `contact.update`, …) inside the write's transaction,
 * by `order` then registration order, skipping hooks of plugins disabled in the workspace. A hook may change `draft`
 * in place (the write then uses the amended values) or throw `InputRejected` to veto: `runMutation` rolls the
 * transaction back and returns the hook's userErrors. Returns the draft.
 */
export async function runBeforeHooks<Draft extends object>(tx: HookCaller, on: string, draft: Draft): Promise<Draft> {
  const events = eventsOf(tx.em);
  const hooks = events.hooksFor(on);
  if (!hooks.length) return draft;
  const workspaceId = tx.principal.workspaceId;
  if (!workspaceId) return draft;
  const context: HookContext = { workspaceId, actor: { userId: tx.principal.userId, apiKeyId: tx.principal.apiKeyId }, em: tx.em };
  for (const hook of hooks) {
    if (!(await events.isPluginEnabled(workspaceId, hook.plugin))) continue;
    await hook.run(draft as Record<string, unknown>, context);
  }
  return draft;
}
