import { Arg, Ctx, Field, Float, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { Node } from '../../graphql/relay.js';
import { SearchableType } from './search-provider.js';
import { search } from './search.service.js';

@ObjectType({ description: 'One search result.' })
export class SearchHit {
  @Field(() => Node)
  node!: object;

  @Field(() => Float, { description: 'Relevance 0..1: whole-word matches first, then prefixes, substrings and fuzzy (typo) matches.' })
  score!: number;

  @Field(() => String, { nullable: true, description: 'The field that matched: name, email, domain, phone…' })
  matchedOn!: string | null;
}

@Resolver()
export class SearchResolver {
  @Query(() => [SearchHit], {
    description: 'Finds companies and contacts (and plugin records) by name, email, domain or phone; typo- and prefix-tolerant, ranked.',
  })
  search(
    @Arg('query', () => String) query: string,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('types', () => [SearchableType], { nullable: true }) types: string[] | null,
    @Ctx() ctx: RequestContext,
  ) {
    return search(ctx, query, first, types);
  }
}

/** GraphQL surface of: Search across companies and contacts. */
export const searchResolvers: Function[] = [SearchResolver];
