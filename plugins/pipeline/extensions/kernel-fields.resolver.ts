import { Arg, Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import {
  CompanyNode,
  ConnectionArgs,
  ContactNode,
  Money,
  scopeSql,
  Sql,
  sql,
  toConnection,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { DealConnection, DealFilter, DealOrder } from '../deals/deal.records.js';
import { parentDealsLoader } from '../deals/deal.service.js';
import { DEAL_SCOPE } from '../deals/deal-scope.js';

/** Open deal value per currency of many companies, in one grouped query (deals in the caller's deal:read scope). */
function openDealsValueLoader(ctx: RequestContext) {
  return ctx.loaders.get<string, Money[]>('company.openDealsValue', async (ids, c) => {
    const q = sql`select d.company_id, d.currency, sum(d.amount)::bigint as amount from deal d
      where d.workspace_id = ${c.principal.workspaceId} and d.company_id in (${Sql.join(
        ids.map((id) => sql`${id}`),
        ', ',
      )})
        and d.status = 'open' and d.deleted_at is null and d.amount is not null and ${scopeSql(c, DEAL_SCOPE, DEAL_SCOPE.read, 'd')}
      group by d.company_id, d.currency order by d.currency`;
    const rows = await c.em.execute<{ company_id: string; currency: string; amount: string | number }[]>(q.text, q.params);
    return ids.map((id) =>
      rows.filter((r) => r.company_id === id).map((r) => Object.assign(new Money(), { amount: Number(r.amount), currency: r.currency })),
    );
  });
}

@Resolver(() => CompanyNode)
export class CompanyDealsFields {
  @FieldResolver(() => DealConnection, { description: 'Deals of this company in your deal:read scope (pipeline plugin).' })
  async deals(
    @Root() company: { id: string },
    @Args() page: ConnectionArgs,
    @Arg('filter', () => DealFilter, { nullable: true }) filter: DealFilter | null,
    @Arg('orderBy', () => [DealOrder], { nullable: true }) orderBy: DealOrder[] | null,
    @Ctx() ctx: RequestContext,
  ) {
    return toConnection(await parentDealsLoader(ctx, 'Company', page, filter, orderBy).load(company.id));
  }

  @FieldResolver(() => [Money], { description: 'Total amount of the company’s OPEN deals, per currency (pipeline plugin).' })
  openDealsValue(@Root() company: { id: string }, @Ctx() ctx: RequestContext) {
    return openDealsValueLoader(ctx).load(company.id);
  }
}

@Resolver(() => ContactNode)
export class ContactDealsFields {
  @FieldResolver(() => DealConnection, { description: 'Deals this contact is on, in your deal:read scope (pipeline plugin).' })
  async deals(
    @Root() contact: { id: string },
    @Args() page: ConnectionArgs,
    @Arg('filter', () => DealFilter, { nullable: true }) filter: DealFilter | null,
    @Arg('orderBy', () => [DealOrder], { nullable: true }) orderBy: DealOrder[] | null,
    @Ctx() ctx: RequestContext,
  ) {
    return toConnection(await parentDealsLoader(ctx, 'Contact', page, filter, orderBy).load(contact.id));
  }
}
