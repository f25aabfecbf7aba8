/**
 * acme-loyalty: an example third-party plugin built from the public SDK alone (a published package would import
 * `crm-kernel/sdk` where this one imports `../../src/sdk/index.js`). See docs/plugins.md.
 *
 * - entities `LoyaltyAccount` (a contact's balance) and `LoyaltyProcessedEvent`, with their migration (row-level security)
 * - `Contact.loyaltyPoints`: a field added to the kernel's Contact type
 * - `awardLoyaltyPoints(input: { contactId, points })`: a mutation guarded by the plugin's permission `loyalty:award`,
 *   recorded on the contact's timeline (entry type `loyalty.pointsAwarded`)
 * - a subscriber on `activity.logged`: `pointsPerActivity` points to every contact the activity was logged on,
 *   once per event id (deliveries are at least once)
 * - settings (zod): `pointsPerActivity`, default 1
 * - no `onUninstall`: uninstalling it from a workspace, the host removes its rows, timeline entries and deliveries there
 */
import { activityTargetIds, actAs, definePlugin, requires, signedIn, Sql, sql, z, type DomainEvent, type PluginContext, type RequestContext } from '../../src/sdk/index.js';
import { LoyaltyAccount, LoyaltyProcessedEvent } from './entities.js';
import { Migration20261201000000LoyaltyAccounts } from './migrations/Migration20261201000000LoyaltyAccounts.js';
import { LoyaltyContactResolver, LoyaltyResolver } from './loyalty.resolver.js';

export const loyaltySettings = z.object({
  /** Points each contact target of a logged activity receives (0: activities award nothing). */
  pointsPerActivity: z.number().int().min(0).max(1000).default(1),
});

type Em = RequestContext['em'];

/**
 * Awards the activity's contact targets. The event id is recorded first (`on conflict do nothing`) and the award only
 * happens when that insert did, so a redelivered event changes nothing; the targets come from the kernel
 * (`activityTargetIds`: the contacts the activity was logged on), all in the delivery's transaction.
 */
export async function awardForActivity(event: DomainEvent<{ id: string }>, context: PluginContext): Promise<void> {
  const { pointsPerActivity } = loyaltySettings.parse(context.settings ?? {});
  const em = context.em as Em;
  const workspaceId = event.workspaceId;
  const claim = sql`insert into loyalty_processed_event (id, workspace_id, created_at, updated_at, event_id)
    values (gen_random_uuid(), ${workspaceId}, now(), now(), ${event.id})
    on conflict (workspace_id, event_id) do nothing returning event_id`;
  if (!(await em.execute<unknown[]>(claim.text, claim.params)).length) return;
  const contactIds = await actAs(context, null, (ctx) => activityTargetIds(ctx, event.payload.id, 'Contact'));
  if (!contactIds.length) return;
  const rows = Sql.join(contactIds.map((id) => sql`(gen_random_uuid(), ${workspaceId}, now(), now(), ${id}, ${pointsPerActivity}::int)`), ', ');
  const q = sql`insert into loyalty_account (id, workspace_id, created_at, updated_at, contact_id, points) values ${rows}
    on conflict (workspace_id, contact_id) do update set points = loyalty_account.points + excluded.points, updated_at = now()`;
  await em.execute(q.text, q.params);
}

export default definePlugin({
  id: 'acme-loyalty',
  name: 'Acme loyalty points',
  version: '1.0.0',
  kernel: '^1.0.0',
  entities: [LoyaltyAccount, LoyaltyProcessedEvent],
  migrations: [{ name: 'Migration20261201000000LoyaltyAccounts', class: Migration20261201000000LoyaltyAccounts }],
  resolvers: [LoyaltyContactResolver, LoyaltyResolver],
  permissions: [{ name: 'loyalty:award', description: 'Award and take back loyalty points (acme-loyalty)', scoped: false }],
  rules: {
    Mutation: { awardLoyaltyPoints: requires('loyalty:award') },
    types: {
      // a field on a kernel type: readable by whoever may read the contact
      Contact: { loyaltyPoints: requires('contact:read') },
      // the plugin's own object types: only reachable through the guarded mutation
      LoyaltyBalance: { '*': signedIn },
      AwardLoyaltyPointsPayload: { '*': signedIn },
    },
  },
  subscribers: [{ name: 'award-activity-points', on: ['activity.logged'], timeoutMs: 5000, handle: (event, context) => awardForActivity(event as DomainEvent<{ id: string }>, context) }],
  settings: loyaltySettings,
  timelineEntryTypes: ['loyalty.pointsAwarded'],
});
