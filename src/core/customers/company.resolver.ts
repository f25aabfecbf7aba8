import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { ConnectionArgs, toConnection } from '../../graphql/relay.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { runMutation } from '../shared/mutation.js';
import { Money } from '../shared/value-types.js';
import { UserNode } from '../identity/user.types.js';
import { User } from '../identity/user.entity.js';
import { TagNode } from '../tags/tag.types.js';
import { tagsLoader } from '../tags/tag.service.js';
import type { Company } from './company.entity.js';
import { CompanyNode, CompanyPayload, CreateCompanyInput, UpdateCompanyInput } from './company.types.js';
import { CompanyConnection, CompanyFilter, CompanyOrder, companies } from './company.records.js';
import { COMPANY, createCompany, deleteCompany, findCompany, purgeCompany, restoreCompany, updateCompany } from './company.service.js';
import { DeletePayload } from '../shared/delete-payload.js';

@Resolver(() => CompanyNode)
export class CompanyResolver {
  @Query(() => CompanyConnection, { description: 'Companies of the workspace: filter, sort (built-in or custom fields) and page.' })
  async companies(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => CompanyFilter, { nullable: true }) filter: CompanyFilter | null,
    @Arg('orderBy', () => [CompanyOrder], { nullable: true }) orderBy: CompanyOrder[] | null,
    @Ctx() ctx: RequestContext,
  ) {
    return toConnection(await companies.list(ctx, page, filter, orderBy));
  }

  @Query(() => CompanyNode, { nullable: true })
  company(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return findCompany(ctx, id);
  }

  @Mutation(() => CompanyPayload)
  createCompany(@Arg('input', () => CreateCompanyInput) input: CreateCompanyInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ company: await createCompany(tx, input) }));
  }

  @Mutation(() => CompanyPayload)
  updateCompany(@Arg('input', () => UpdateCompanyInput) input: UpdateCompanyInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ company: await updateCompany(tx, input) }));
  }

  @Mutation(() => CompanyPayload, { description: 'Moves a company to the trash (restore with restoreCompany).' })
  deleteCompany(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int, { nullable: true }) version: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    return runMutation(ctx, async (tx) => ({ company: await deleteCompany(tx, id, version ?? undefined) }));
  }

  @Mutation(() => CompanyPayload)
  restoreCompany(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ company: await restoreCompany(tx, id) }));
  }

  @Mutation(() => DeletePayload, { description: 'Erases a company in the trash for good.' })
  purgeCompany(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deletedId: toGlobalId(COMPANY, await purgeCompany(tx, id)) }));
  }

  @FieldResolver(() => ID)
  id(@Root() company: Company) {
    return toGlobalId(COMPANY, company.id);
  }

  @FieldResolver(() => Money, { nullable: true })
  annualRevenue(@Root() company: Company): Money | null {
    if (company.annualRevenueAmount == null || !company.annualRevenueCurrency) return null;
    return { amount: Number(company.annualRevenueAmount), currency: company.annualRevenueCurrency };
  }

  @FieldResolver(() => UserNode, { nullable: true })
  owner(@Root() company: Company, @Ctx() ctx: RequestContext) {
    return company.owner ? ctx.loaders.byId(User).load(company.owner.id) : null;
  }

  @FieldResolver(() => [TagNode])
  tags(@Root() company: Company, @Ctx() ctx: RequestContext) {
    return tagsLoader(ctx, COMPANY).load(company.id);
  }
}
