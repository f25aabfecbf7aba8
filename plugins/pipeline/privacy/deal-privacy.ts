import { sql, type PrivacyHandler, type PrivacySubject, type RequestContext } from '../../../src/sdk/index.js';

const marks = (ids: readonly string[]) => ids.map(() => '?').join(', ');

/** Deals the person is a contact of (any role, primary or not). */
const theirDeals = (ctx: RequestContext, s: PrivacySubject) =>
  ctx.em.execute<Record<string, unknown>[]>(
    `select d.id, d.name, d.amount, d.currency, d.status, d.expected_close_date, d.closed_at, d.lost_reason, d.created_at,
            dc.contact_id, dc.role, dc.is_primary, p.name as pipeline_name, st.name as stage_name
       from deal_contact dc join deal d on d.id = dc.deal_id
       join pipeline p on p.id = d.pipeline_id join pipeline_stage st on st.id = d.stage_id
      where dc.workspace_id = ? and dc.contact_id in (${marks(s.contactIds)})
      order by d.created_at, d.id`,
    [ctx.principal.workspaceId, ...s.contactIds],
  );

/** Free text of the person's deals (a name like "Renewal for Ann Lee", a lost reason) loses what identifies them. */
async function scrubDeals(ctx: RequestContext, s: PrivacySubject) {
  const ids = [...s.contactIds];
  // the deals' events, stage history and audit entries mention them: the kernel scrubs those too
  s.relate((await theirDeals(ctx, s)).map((d) => String(d.id)));
  return s.scrub(
    'deal',
    ['name', 'lost_reason', 'custom_fields'],
    sql`id in (select deal_id from deal_contact where workspace_id = ${ctx.principal.workspaceId} and contact_id = any(array(select jsonb_array_elements_text(cast(${JSON.stringify(ids)} as jsonb))::uuid)))`,
  );
}

/**
 * The pipeline's part of privacy requests: the deals a contact is on, with their role. ANONYMIZE keeps the deals and
 * the (now anonymous) contact's roles, so counts and amounts stay; DELETE removes the roles and keeps the deals.
 * Either way the deals' free text loses the person's identifying values.
 */
export const dealPrivacy: PrivacyHandler = {
  async export(ctx, subject) {
    const rows = await theirDeals(ctx, subject);
    return {
      deals: rows.map((r) => ({
        id: r.id,
        name: r.name,
        amount: r.amount == null ? null : String(r.amount),
        currency: r.currency,
        status: r.status,
        pipeline: r.pipeline_name,
        stage: r.stage_name,
        expectedCloseDate: r.expected_close_date,
        closedAt: r.closed_at,
        lostReason: r.lost_reason,
        contactId: r.contact_id,
        role: r.role,
        isPrimary: r.is_primary === true || r.is_primary === 't',
      })),
    };
  },
  async anonymize(ctx, subject) {
    return { deals: await scrubDeals(ctx, subject) };
  },
  async delete(ctx, subject) {
    const deals = await scrubDeals(ctx, subject);
    const result = await ctx.em.execute<{ affectedRows?: number }>(
      `delete from deal_contact where workspace_id = ? and contact_id in (${marks(subject.contactIds)})`,
      [ctx.principal.workspaceId, ...subject.contactIds],
      'run',
    );
    return { deals, dealContacts: Number(result?.affectedRows ?? 0) };
  },
};
