import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { RequestContext } from './context.js';
import { workspaceOf } from './context.js';
import { Node } from './relay.js';
import { parseGlobalId } from './global-id.js';
import { nodeTypesOf } from './node-registry.js';

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description: 'Any object by its global id; null when it does not exist in this workspace or the caller may not read it.',
  })
  async node(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    const parsed = parseGlobalId(id);
    const load = parsed && nodeTypesOf(ctx).loader(parsed.type);
    if (!load) return null;
    // a type the caller may not read does not exist for them; records outside their scope load as null
    const permission = nodeTypesOf(ctx).permission(parsed.type);
    if (permission && !ctx.principal.access.can(permission)) return null;
    return load(ctx, parsed.id);
  }

  @Query(() => [Node], { nullable: 'items', description: 'Several objects by global id, in the order asked.' })
  nodes(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: RequestContext) {
    return Promise.all(ids.slice(0, 200).map((id) => this.node(id, ctx)));
  }
}
