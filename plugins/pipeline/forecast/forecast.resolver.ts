import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { User, UserNode, type RequestContext } from '../../../src/sdk/index.js';
import { dealForecast } from './forecast.service.js';
import { DealForecast, DealForecastInput, DealForecastOwner } from './forecast.types.js';

@Resolver()
export class DealForecastResolver {
  @Query(() => DealForecast, {
    description:
      'Sales forecast for a period of whole UTC days: open pipeline (weighted and unweighted) per month, owner and stage, won to date, ' +
      'win rate and mean sales cycle. Money per currency (no conversion). Reads the deals your deal:read scope reaches.',
  })
  dealForecast(@Arg('input', () => DealForecastInput) input: DealForecastInput, @Ctx() ctx: RequestContext): Promise<DealForecast> {
    return dealForecast(ctx, input);
  }
}

@Resolver(() => DealForecastOwner)
export class DealForecastOwnerResolver {
  @FieldResolver(() => UserNode, { nullable: true })
  owner(@Root() bucket: DealForecastOwner, @Ctx() ctx: RequestContext) {
    return bucket.ownerId ? ctx.loaders.byId(User).load(bucket.ownerId) : null;
  }
}
