import {
  InputRejected,
  LifecycleStage,
  actAs,
  logActivity,
  memberIds,
  readableCompany,
  readableContact,
  sql,
  toGlobalId,
  updateCompany,
  updateContact,
  subscribe,
  type DomainEvent,
  type PluginContext,
  type RequestContext,
  type Subscriber,
  type SubscriberContext,
} from '../../../src/sdk/index.js';
import { dealWon, type DealWon } from '../events.js';
import type { PipelineSettings } from './settings.js';

type Em = RequestContext['em'];

/** The deal as it is now, when it is still live and won (a deal reopened or deleted before delivery is left alone). */
async function wonDeal(
  em: Em,
  workspaceId: string,
  dealId: string,
): Promise<{ name: string; owner_id: string | null; company_id: string | null } | null> {
  const q = sql`select name, owner_id, company_id from deal where workspace_id = ${workspaceId} and id = ${dealId} and deleted_at is null and status = 'won'`;
  const [row] = await em.execute<{ name: string; owner_id: string | null; company_id: string | null }[]>(q.text, q.params);
  return row ?? null;
}

/**
 * A kernel write the automation makes as the system (the owner's permissions, audited without a user): the rule
 * belongs to the workspace, not to whoever closed the deal, whose scope may not reach the contact or company. A
 * rejection by the kernel (e.g. the record was deleted meanwhile) is permanent, so it is not retried.
 */
async function asSystem(context: PluginContext<PipelineSettings>, work: (ctx: RequestContext) => Promise<unknown>): Promise<void> {
  try {
    await actAs(context, null, work);
  } catch (error) {
    if (!(error instanceof InputRejected)) throw error;
  }
}

interface Step {
  name: string;
  enabled(settings: PipelineSettings): boolean;
  run(
    event: DomainEvent<DealWon>,
    deal: NonNullable<Awaited<ReturnType<typeof wonDeal>>>,
    context: PluginContext<PipelineSettings>,
  ): Promise<void>;
}

/**
 * The primary contact becomes a CUSTOMER. A contact already CUSTOMER is left as is (no update, no event); any other
 * stage — CHURNED included: winning a deal makes them a customer again — moves to CUSTOMER.
 */
const contactBecomesCustomer: Step = {
  name: 'won-deal-contact-customer',
  enabled: (s) => s.wonDealSetsContactCustomer,
  async run(event, _deal, context) {
    const contactId = event.payload.primaryContactId;
    if (!contactId) return;
    await asSystem(context, async (ctx) => {
      const contact = await readableContact(ctx, contactId);
      if (!contact || contact.lifecycleStage === LifecycleStage.CUSTOMER) return;
      await updateContact(ctx, {
        id: toGlobalId('Contact', contactId),
        version: Number(contact.version),
        lifecycleStage: LifecycleStage.CUSTOMER,
      });
    });
  },
};

/** The company gets the deal owner as account manager (its `owner`) only when it has none; an existing owner is kept. */
const companyGetsAccountManager: Step = {
  name: 'won-deal-account-manager',
  enabled: (s) => s.wonDealAssignsAccountManager,
  async run(event, deal, context) {
    if (!deal.company_id || !deal.owner_id) return;
    if (!(await memberIds(context.em, event.workspaceId, [deal.owner_id])).has(deal.owner_id)) return;
    await asSystem(context, async (ctx) => {
      const company = await readableCompany(ctx, deal.company_id!);
      if (!company || company.owner) return;
      await updateCompany(ctx, {
        id: toGlobalId('Company', deal.company_id!),
        version: Number(company.version),
        ownerId: toGlobalId('User', deal.owner_id!),
      });
    });
  },
};

/** A follow-up task on the deal (and its company), assigned to the deal owner (unassigned when the owner left), due in N days. */
const followUpTask: Step = {
  name: 'won-deal-follow-up-task',
  enabled: (s) => s.wonDealCreatesFollowUpTask,
  async run(event, deal, context) {
    const ownerIsMember = deal.owner_id != null && (await memberIds(context.em, event.workspaceId, [deal.owner_id])).has(deal.owner_id);
    await asSystem(context, async (ctx) => {
      const companyLive = deal.company_id != null && (await readableCompany(ctx, deal.company_id)) != null;
      const targetIds = [toGlobalId('Deal', event.payload.id), ...(companyLive ? [toGlobalId('Company', deal.company_id!)] : [])];
      await logActivity(ctx, {
        type: 'TASK',
        subject: `Follow up on won deal: ${deal.name}`.slice(0, 500),
        dueAt: new Date(Date.now() + context.settings.followUpTaskDueInDays * 86_400_000),
        assigneeId: ownerIsMember ? toGlobalId('User', deal.owner_id!) : null,
        priority: 'NORMAL',
        targetIds,
      });
    });
  },
};

export const WON_DEAL_STEPS: readonly Step[] = [contactBecomesCustomer, companyGetsAccountManager, followUpTask];

/**
 * Each step is its own subscriber: its own delivery, transaction and retries, so one failing step neither blocks
 * nor repeats the others; `idempotent`, so a redelivered event does not repeat a step. A step switched off in the
 * settings does nothing.
 */
export const wonDealSubscribers: Subscriber<PipelineSettings>[] = WON_DEAL_STEPS.map((step) =>
  subscribe(dealWon, {
    name: step.name,
    timeoutMs: 10_000,
    idempotent: true,
    async handle(event, context: SubscriberContext<PipelineSettings>) {
      if (!step.enabled(context.settings)) return;
      const deal = await wonDeal(context.em, event.workspaceId, event.payload.id);
      if (!deal) return;
      await step.run(event, deal, context);
    },
  }),
);
