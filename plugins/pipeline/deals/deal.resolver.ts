import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import {
  CompanyNode,
  Company,
  ConnectionArgs,
  Contact,
  Money,
  readRows,
  runMutation,
  scopeSql,
  Sql,
  sql,
  tagsLoader,
  TagNode,
  timelineFieldsFor,
  toConnection,
  toGlobalId,
  User,
  UserNode,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { Deal, DealStageHistory, Pipeline, PipelineStage } from '../entities.js';
import { PipelineNode, PipelineStageNode } from '../pipelines/pipeline.types.js';
import { COMPANY_READ, CONTACT_READ, DEAL } from './deal-scope.js';
import {
  CloseDealInput,
  CreateDealInput,
  DealContactNode,
  DealNode,
  DealPayload,
  DealStageStay,
  MarkDealLostInput,
  MoveDealToStageInput,
  ReopenDealInput,
  UpdateDealInput,
} from './deal.types.js';
import { DealConnection, DealFilter, DealOrder, deals } from './deal.records.js';
import {
  createDeal,
  deleteDeal,
  findDeal,
  markDealLost,
  markDealWon,
  moveDealToStage,
  reopenDeal,
  restoreDeal,
  updateDeal,
} from './deal.service.js';

const inList = (ids: readonly string[]) =>
  Sql.join(
    ids.map((id) => sql`${id}`),
    ', ',
  );

/** Companies by id within the caller's company:read scope (the kernel's own loader for it shares this name). */
export const readableCompanies = (ctx: RequestContext) =>
  ctx.loaders.byIdWhere(Company, COMPANY_READ.read, (c) => scopeSql(c, COMPANY_READ, COMPANY_READ.read, 't'));
export const readableContacts = (ctx: RequestContext) =>
  ctx.loaders.byIdWhere(Contact, CONTACT_READ.read, (c) => scopeSql(c, CONTACT_READ, CONTACT_READ.read, 't'));

function contactLinksLoader(ctx: RequestContext) {
  return ctx.loaders.get<string, { contactId: string; role: string | null; isPrimary: boolean }[]>('deal.contacts', async (ids, c) => {
    const q = sql`select deal_id, contact_id, role, is_primary from deal_contact where workspace_id = ${c.principal.workspaceId} and deal_id in (${inList(ids)}) order by is_primary desc, position`;
    const rows = await c.em.execute<{ deal_id: string; contact_id: string; role: string | null; is_primary: boolean }[]>(q.text, q.params);
    return ids.map((id) =>
      rows.filter((r) => r.deal_id === id).map((r) => ({ contactId: r.contact_id, role: r.role, isPrimary: r.is_primary })),
    );
  });
}

function historyLoader(ctx: RequestContext) {
  return ctx.loaders.get<string, DealStageHistory[]>('deal.stageHistory', async (ids, c) => {
    const q = sql`select * from deal_stage_history where workspace_id = ${c.principal.workspaceId} and deal_id in (${inList(ids)}) order by entered_at, id`;
    const rows = readRows(c.em, DealStageHistory, await c.em.execute(q.text, q.params));
    return ids.map((id) => rows.filter((r) => r.dealId === id));
  });
}

const seconds = (from: Date, to: Date) => Math.max(0, Math.floor((to.getTime() - from.getTime()) / 1000));

@Resolver(() => DealNode)
export class DealResolver {
  @Query(() => DealConnection, { description: 'Deals in your deal:read scope: filter, sort (built-in or custom fields) and page.' })
  async deals(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => DealFilter, { nullable: true }) filter: DealFilter | null,
    @Arg('orderBy', () => [DealOrder], { nullable: true }) orderBy: DealOrder[] | null,
    @Ctx() ctx: RequestContext,
  ) {
    return toConnection(await deals.list(ctx, page, filter, orderBy));
  }

  @Query(() => DealNode, { nullable: true })
  deal(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return findDeal(ctx, id);
  }

  @Mutation(() => DealPayload)
  createDeal(@Arg('input', () => CreateDealInput) input: CreateDealInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deal: await createDeal(tx, input) }));
  }

  @Mutation(() => DealPayload)
  updateDeal(@Arg('input', () => UpdateDealInput) input: UpdateDealInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deal: await updateDeal(tx, input) }));
  }

  @Mutation(() => DealPayload, { description: 'Moves a deal to the trash (restore with restoreDeal).' })
  deleteDeal(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int, { nullable: true }) version: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    return runMutation(ctx, async (tx) => ({ deal: await deleteDeal(tx, id, version) }));
  }

  @Mutation(() => DealPayload)
  restoreDeal(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deal: await restoreDeal(tx, id) }));
  }

  @Mutation(() => DealPayload)
  moveDealToStage(@Arg('input', () => MoveDealToStageInput) input: MoveDealToStageInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deal: await moveDealToStage(tx, input) }));
  }

  @Mutation(() => DealPayload, { description: 'Moves an OPEN deal to its pipeline’s WON stage.' })
  markDealWon(@Arg('input', () => CloseDealInput) input: CloseDealInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deal: await markDealWon(tx, input) }));
  }

  @Mutation(() => DealPayload, { description: 'Moves an OPEN deal to its pipeline’s LOST stage (a WON deal must be reopened first).' })
  markDealLost(@Arg('input', () => MarkDealLostInput) input: MarkDealLostInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deal: await markDealLost(tx, input) }));
  }

  @Mutation(() => DealPayload)
  reopenDeal(@Arg('input', () => ReopenDealInput) input: ReopenDealInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deal: await reopenDeal(tx, input) }));
  }

  @FieldResolver(() => ID)
  id(@Root() deal: Deal) {
    return toGlobalId(DEAL, deal.id);
  }

  @FieldResolver(() => Money, { nullable: true })
  amount(@Root() deal: Deal) {
    return deal.amount == null || !deal.currency ? null : { amount: Number(deal.amount), currency: deal.currency };
  }

  @FieldResolver(() => UserNode, { nullable: true })
  owner(@Root() deal: Deal, @Ctx() ctx: RequestContext) {
    return deal.ownerId ? ctx.loaders.byId(User).load(deal.ownerId) : null;
  }

  @FieldResolver(() => CompanyNode, { nullable: true, description: 'Null when the company is outside your company:read scope.' })
  company(@Root() deal: Deal, @Ctx() ctx: RequestContext) {
    return deal.companyId ? readableCompanies(ctx).load(deal.companyId) : null;
  }

  @FieldResolver(() => [DealContactNode], { description: 'Primary contact first; contacts outside your contact:read scope are left out.' })
  async contacts(@Root() deal: Deal, @Ctx() ctx: RequestContext) {
    const links = await contactLinksLoader(ctx).load(deal.id);
    const contacts = await Promise.all(links.map((l) => readableContacts(ctx).load(l.contactId)));
    return links.flatMap((l, i) => (contacts[i] ? [{ contact: contacts[i], role: l.role, isPrimary: l.isPrimary }] : []));
  }

  @FieldResolver(() => PipelineNode)
  pipeline(@Root() deal: Deal, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Pipeline).load(deal.pipelineId);
  }

  @FieldResolver(() => PipelineStageNode)
  stage(@Root() deal: Deal, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(PipelineStage).load(deal.stageId);
  }

  @FieldResolver(() => [TagNode])
  tags(@Root() deal: Deal, @Ctx() ctx: RequestContext) {
    return tagsLoader(ctx, DEAL).load(deal.id);
  }

  @FieldResolver(() => Int, { description: 'Seconds since the deal entered its current stage.' })
  timeInStageSeconds(@Root() deal: Deal) {
    return seconds(new Date(deal.stageEnteredAt), new Date());
  }

  @FieldResolver(() => [DealStageStay], { description: 'Every stay in a stage, oldest first.' })
  async stageHistory(@Root() deal: Deal, @Ctx() ctx: RequestContext) {
    const now = new Date();
    const stays = await historyLoader(ctx).load(deal.id);
    return Promise.all(
      stays.map(async (h) => ({
        stage: await ctx.loaders.byId(PipelineStage).load(h.stageId),
        enteredAt: h.enteredAt,
        leftAt: h.leftAt ?? null,
        enteredBy: h.enteredById ? await ctx.loaders.byId(User).load(h.enteredById) : null,
        leftBy: h.leftById ? await ctx.loaders.byId(User).load(h.leftById) : null,
        durationSeconds: seconds(new Date(h.enteredAt), h.leftAt ? new Date(h.leftAt) : now),
      })),
    );
  }
}

/** `Deal.timeline` and `Deal.activities`, as on companies and contacts. */
export const DealTimelineFields = timelineFieldsFor(DealNode, DEAL);
