import { defineContactFact, expectGlobalId, InputRejected, raw, scopeSql, sql, z, type RequestContext } from '../../../src/sdk/index.js';
import { DEAL_SCOPE, PIPELINE_STAGE } from '../deals/deal-scope.js';

/** A stage's global id, read as its uuid (a wrong id is a params problem of the rule). */
const stageId = z.string().transform((value, issue) => {
  try {
    return expectGlobalId(value, PIPELINE_STAGE, 'stageId');
  } catch (error) {
    if (!(error instanceof InputRejected)) throw error;
    issue.addIssue({ code: 'custom', message: 'a global id of a PipelineStage' });
    return z.NEVER;
  }
});

/** The contacts on a deal (its `deal_contact` links), for the events of that deal. */
async function contactsOfDeal(event: { payload: unknown; workspaceId: string }, ctx: RequestContext): Promise<string[]> {
  const dealId = (event.payload as { id?: unknown }).id;
  if (typeof dealId !== 'string') return [];
  const q = sql`select contact_id from deal_contact where workspace_id = ${event.workspaceId} and deal_id = ${dealId} order by contact_id`;
  return (await ctx.em.execute<{ contact_id: string }[]>(q.text, q.params)).map((r) => String(r.contact_id));
}

/**
 * `{ fact: 'pipeline.openDealInStage', params: { stageId } }`: the contact is on an open deal (not won, lost or
 * trashed) in that stage, among the deals the caller may read.
 */
export const openDealInStage = defineContactFact({
  key: 'pipeline.openDealInStage',
  description: 'The contact is on an open deal in the stage stageId (a PipelineStage global id)',
  params: z.strictObject({ stageId }),
  condition: (params, { ctx, contact, workspaceId }) =>
    sql`exists (select 1 from deal_contact dc join deal d on d.id = dc.deal_id
      where dc.workspace_id = ${workspaceId} and dc.contact_id = ${raw(contact)}.id
        and d.workspace_id = ${workspaceId} and d.stage_id = ${params.stageId} and d.status = 'open' and d.deleted_at is null
        and ${scopeSql(ctx, DEAL_SCOPE, DEAL_SCOPE.read, 'd')})`,
  dependsOn: {
    events: ['deal.created', 'deal.updated', 'deal.stageChanged', 'deal.won', 'deal.lost', 'deal.reopened', 'deal.deleted'],
    contactIdsOf: contactsOfDeal,
  },
});
