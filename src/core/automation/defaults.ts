import type { SqlEntityManager } from '@mikro-orm/sql';
import { eventsOf } from '../../events/registry.js';
import { requestContextAs } from '../../graphql/act-as.js';
import { InputRejected } from '../../graphql/errors.js';
import { AutomationRule, AutomationRuleVersion } from './automation.entities.js';
import { automationCatalogOf } from './catalog.js';
import { validateDefinition } from './validate.js';

/**
 * Creates the default rules of the modules enabled in the workspace that it has not had yet. Each is recorded in
 * `automation_default_rule` when created, so one an admin deleted is not created again; the marker is claimed first
 * (`on conflict do nothing`), so concurrent callers create each rule once. Returns how many were created.
 */
export async function ensureDefaultRules(em: SqlEntityManager, workspaceId: string): Promise<number> {
  const catalog = automationCatalogOf(em);
  const defaults = catalog.defaultRules.entries();
  if (!defaults.length) return 0;
  const had = new Set(
    (await em.execute<{ source: string }[]>(`select source from automation_default_rule where workspace_id = ?`, [workspaceId])).map(
      (r) => r.source,
    ),
  );
  const events = eventsOf(em);
  let created = 0;
  for (const [source, rule, plugin] of defaults) {
    if (had.has(source) || !(await events.isPluginEnabled(workspaceId, plugin))) continue;
    const claimed = await em.execute<{ source: string }[]>(
      `insert into automation_default_rule (workspace_id, source, created_at) values (?, ?, clock_timestamp()) on conflict do nothing returning source`,
      [workspaceId, source],
    );
    if (!claimed.length) continue;
    const ctx = await requestContextAs(em, workspaceId, null);
    let validated: Awaited<ReturnType<typeof validateDefinition>>;
    try {
      validated = await validateDefinition(ctx, catalog, rule.definition);
    } catch (error) {
      if (error instanceof InputRejected) throw new Error(`${plugin}: default automation rule ${source} is invalid: ${error.message}`);
      throw error;
    }
    const entity = em.create(AutomationRule, {
      workspaceId,
      name: rule.title,
      description: rule.description ?? null,
      enabled: true,
      triggerKeys: validated.triggerKeys,
      currentVersion: 1,
      ownerId: null,
      createdBy: null,
      source,
    } as AutomationRule);
    em.create(AutomationRuleVersion, { workspaceId, rule: entity, version: 1, definition: validated.definition, createdBy: null });
    created++;
  }
  if (created) await em.flush();
  return created;
}
