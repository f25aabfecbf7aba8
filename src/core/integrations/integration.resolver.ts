import { Arg, Ctx, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { workspaceOf, type RequestContext } from '../../graphql/context.js';
import { UserError } from '../../graphql/errors.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { runMutation } from '../shared/mutation.js';
import { Integration } from './integration.entity.js';
import { createIntegration, revokeIntegration } from './integration.service.js';

@ObjectType('Integration', {
  description:
    'An inbound integration: an outside system posting JSON to `POST /hooks/in/<token>`, each post an `integration.received` event. Needs `integration:manage`.',
})
export class IntegrationNode {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Named in its events (`integration.received` `{ integration, integrationId, body }`).' })
  name!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  lastReceivedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Set when revoked: its token is refused from then on.' })
  revokedAt!: Date | null;
}

const toNode = (i: Integration): IntegrationNode => ({
  id: toGlobalId('Integration', i.id),
  name: i.name,
  createdAt: i.createdAt,
  lastReceivedAt: i.lastReceivedAt ?? null,
  revokedAt: i.revokedAt ?? null,
});

@InputType()
export class CreateIntegrationInput {
  @Field({ description: 'Lower-case letters, digits and dashes, e.g. `shop`; unique in the workspace.' })
  name!: string;
}

@ObjectType()
export class CreateIntegrationPayload {
  @Field(() => IntegrationNode, { nullable: true })
  integration?: IntegrationNode | null;

  @Field(() => String, { nullable: true, description: 'The token, shown this once: post to `/hooks/in/<token>`.' })
  token?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class RevokeIntegrationPayload {
  @Field(() => IntegrationNode, { nullable: true })
  integration?: IntegrationNode | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@Resolver()
export class IntegrationResolver {
  @Query(() => [IntegrationNode], { description: "The workspace's inbound integrations, by name. Needs `integration:manage`." })
  async integrations(@Ctx() ctx: RequestContext): Promise<IntegrationNode[]> {
    const rows = await ctx.em.find(Integration, { workspaceId: workspaceOf(ctx) }, { orderBy: { name: 'asc' }, filters: false });
    return rows.map(toNode);
  }

  @Mutation(() => CreateIntegrationPayload, {
    description: 'Creates an inbound integration and returns its token once. Needs `integration:manage`.',
  })
  createIntegration(@Arg('input') input: CreateIntegrationInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const { integration, token } = await createIntegration(tx, input);
      return { integration: toNode(integration), token };
    });
  }

  @Mutation(() => RevokeIntegrationPayload, {
    description: 'Revokes an integration: its token is refused from now on. Needs `integration:manage`.',
  })
  revokeIntegration(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ integration: toNode(await revokeIntegration(tx, id)) }));
  }
}
