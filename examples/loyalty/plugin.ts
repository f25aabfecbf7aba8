/**
 * acme-loyalty: an example third-party plugin built from the public SDK alone (a published package would import
 * `crm-kernel/sdk` where this one imports `../../src/sdk/index.js`). See docs/plugins.md.
 *
 * - entity `LoyaltyAccount` (a contact's balance), with its migration (row-level security)
 * - `Contact.loyaltyPoints`: a field added to the kernel's Contact type
 * - `awardLoyaltyPoints(input: { contactId, points })`: a mutation guarded by the plugin's permission `loyalty:award`,
 *   recorded on the contact's timeline (entry type `loyalty.pointsAwarded`)
 * - an idempotent subscriber on `activity.logged`: `pointsPerActivity` points to every contact the activity was
 *   logged on, once per event (the kernel records handled events; deliveries are at least once)
 * - settings (zod): `pointsPerActivity`, default 1
 * - privacy: its balances are exported with a contact's personal data and deleted with the contact
 * - no `onUninstall`: uninstalling it from a workspace, the host removes its rows, timeline entries and deliveries there
 */
import {
  activityLogged,
  activityTargetIds,
  actAs,
  definePlugin,
  requires,
  signedIn,
  subscribe,
  Sql,
  sql,
  z,
  type DomainEvent,
  type PrivacyHandler,
  type SubscriberContext,
} from '../../src/sdk/index.js';
import { LoyaltyAccount } from './entities.js';
import { Migration20261201000000LoyaltyAccounts } from './migrations/Migration20261201000000LoyaltyAccounts.js';
import { LoyaltyContactResolver, LoyaltyResolver } from './loyalty.resolver.js';

export const loyaltySettings = z.object({
  /** Points each contact target of a logged activity receives (0: activities award nothing). */
  pointsPerActivity: z.number().int().min(0).max(1000).default(1),
});

type LoyaltySettings = z.infer<typeof loyaltySettings>;

/**
 * Awards the activity's contact targets (`activityTargetIds`: the contacts the activity was logged on), in the
 * delivery's transaction. The subscriber is idempotent: the kernel skips a redelivered event.
 */
export async function awardForActivity(event: DomainEvent<{ id: string }>, context: SubscriberContext<LoyaltySettings>): Promise<void> {
  const { pointsPerActivity } = context.settings;
  const { em, workspaceId } = context;
  const contactIds = await actAs(context, null, (ctx) => activityTargetIds(ctx, event.payload.id, 'Contact'));
  if (!contactIds.length) return;
  const rows = Sql.join(
    contactIds.map((id) => sql`(gen_random_uuid(), ${workspaceId}, now(), now(), ${id}, ${pointsPerActivity}::int)`),
    ', ',
  );
  const q = sql`insert into loyalty_account (id, workspace_id, created_at, updated_at, contact_id, points) values ${rows}
    on conflict (workspace_id, contact_id) do update set points = loyalty_account.points + excluded.points, updated_at = now()`;
  await em.execute(q.text, q.params);
}

const theirAccounts = (workspaceId: string | null, contactIds: readonly string[]) =>
  sql`workspace_id = ${workspaceId} and contact_id in (${Sql.join(
    contactIds.map((id) => sql`${id}`),
    ', ',
  )})`;

/**
 * Privacy requests (docs/plugins.md §7⅜): a balance is about its contact, so it is exported; it identifies nobody, so
 * ANONYMIZE keeps it (the contact it belongs to is anonymous now); DELETE removes it.
 */
export const loyaltyPrivacy: PrivacyHandler = {
  async export(ctx, subject) {
    const q = sql`select contact_id, points, created_at, updated_at from loyalty_account where ${theirAccounts(ctx.principal.workspaceId, subject.contactIds)}`;
    return { accounts: await ctx.em.execute(q.text, q.params) };
  },
  async anonymize() {
    return {};
  },
  async delete(ctx, subject) {
    const q = sql`delete from loyalty_account where ${theirAccounts(ctx.principal.workspaceId, subject.contactIds)}`;
    const result = await ctx.em.execute<{ affectedRows?: number }>(q.text, q.params, 'run');
    return { accounts: Number(result?.affectedRows ?? 0) };
  },
};

export default definePlugin({
  id: 'acme-loyalty',
  name: 'Acme loyalty points',
  version: '1.0.0',
  kernel: '^1.0.0',
  entities: [LoyaltyAccount],
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
  subscribers: [subscribe(activityLogged, { name: 'award-activity-points', timeoutMs: 5000, idempotent: true, handle: awardForActivity })],
  settings: loyaltySettings,
  timelineEntryTypes: ['loyalty.pointsAwarded'],
  privacy: loyaltyPrivacy,
});
