/**
 * Small plugins defined inline for the module tests: `loyalty` adds `Contact.loyaltyPoints`, a `loyaltyLeaders`
 * query and an `awardLoyaltyPoints` mutation (points are stored as timeline events: no table of its own, so the
 * fixture needs no migration), with settings; `referrals` depends on `loyalty`; `badges` depends on `loyalty` too.
 */
import 'reflect-metadata';
import { z } from 'zod';
import { allow } from 'graphql-shield';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import {
  definePlugin,
  expectGlobalId,
  pluginSettings,
  recordTimelineEvent,
  requires,
  runMutation,
  sql,
  toGlobalId,
  UserError,
  type RequestContext,
} from '../../src/sdk/index.js';
import { ContactNode } from '../../src/core/customers/contact.types.js';

@ObjectType()
export class LoyaltyLeader {
  @Field(() => ID) contactId!: string;
  @Field(() => Int) points!: number;
}

@InputType()
export class AwardLoyaltyPointsInput {
  @Field(() => ID) contactId!: string;
  @Field(() => Int) points!: number;
}

@ObjectType()
export class AwardLoyaltyPointsPayload {
  @Field(() => Int, { nullable: true }) points?: number | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

const pointsOf = async (ctx: RequestContext, contactId: string): Promise<number> => {
  const q = sql`select coalesce(sum((data->>'points')::int), 0)::int as n from timeline_event
    where workspace_id = ${ctx.principal.workspaceId} and entry_type = 'loyalty.awarded' and data->>'contactId' = ${contactId}`;
  const rows = await ctx.em.execute<{ n: number }[]>(q.text, q.params);
  return Number(rows[0]!.n);
};

@Resolver(() => ContactNode)
export class LoyaltyContactResolver {
  @FieldResolver(() => Int, { description: 'Loyalty points (loyalty module).' })
  loyaltyPoints(@Root() contact: { id: string }, @Ctx() ctx: RequestContext) {
    return pointsOf(ctx, contact.id);
  }
}

@Resolver()
export class LoyaltyResolver {
  @Query(() => [LoyaltyLeader])
  async loyaltyLeaders(@Ctx() ctx: RequestContext) {
    const q = sql`select data->>'contactId' as contact_id, sum((data->>'points')::int)::int as points from timeline_event
      where workspace_id = ${ctx.principal.workspaceId} and entry_type = 'loyalty.awarded' group by 1 order by 2 desc limit 10`;
    const rows = await ctx.em.execute<{ contact_id: string; points: number }[]>(q.text, q.params);
    return rows.map((r) => ({ contactId: toGlobalId('Contact', r.contact_id), points: Number(r.points) }));
  }

  @Query(() => [String], { description: 'The workspace’s tiers (its settings of the module, defaults filled in).' })
  async loyaltyTiers(@Ctx() ctx: RequestContext) {
    return (await pluginSettings<{ tiers: string[] }>(ctx, 'loyalty')).tiers;
  }

  @Mutation(() => AwardLoyaltyPointsPayload)
  awardLoyaltyPoints(@Arg('input', () => AwardLoyaltyPointsInput) input: AwardLoyaltyPointsInput, @Ctx() ctx: RequestContext) {
    const contactId = expectGlobalId(input.contactId, 'Contact', 'contactId');
    return runMutation(ctx, async (tx) => {
      await recordTimelineEvent(tx, {
        entryType: 'loyalty.awarded',
        title: `${input.points} loyalty points`,
        data: { contactId, points: input.points },
        targets: [{ type: 'Contact', id: contactId }],
      });
      return { points: await pointsOf(tx, contactId) };
    });
  }
}

@Resolver()
export class ReferralResolver {
  @Query(() => Int)
  referralBonus() {
    return 5;
  }
}

@Resolver()
export class BadgeResolver {
  @Query(() => [String])
  badges() {
    return ['first-purchase'];
  }
}

export const lifecycle: { event: string; workspaceId: string | null; settings: Record<string, unknown> }[] = [];

export const loyaltySettings = z.object({
  pointsPerPurchase: z.number().int().positive().default(10),
  tiers: z.array(z.string().min(1)).default(['silver', 'gold']),
});

export const loyalty = definePlugin({
  id: 'loyalty',
  name: 'Loyalty points',
  version: '1.2.0',
  kernel: '^1.0.0',
  resolvers: [LoyaltyContactResolver, LoyaltyResolver],
  rules: {
    Query: { loyaltyLeaders: requires('contact:read'), loyaltyTiers: requires('contact:read') },
    Mutation: { awardLoyaltyPoints: requires('contact:update') },
    types: { LoyaltyLeader: { '*': allow }, Contact: { loyaltyPoints: requires('contact:read') } },
  },
  settings: loyaltySettings,
  async onEnable(ctx) {
    lifecycle.push({ event: 'enable', workspaceId: ctx.workspaceId, settings: ctx.settings });
  },
  async onDisable(ctx) {
    lifecycle.push({ event: 'disable', workspaceId: ctx.workspaceId, settings: ctx.settings });
  },
  async onInstall(ctx) {
    lifecycle.push({ event: 'install', workspaceId: ctx.workspaceId, settings: ctx.settings });
  },
  async onUninstall(ctx) {
    lifecycle.push({ event: 'uninstall', workspaceId: ctx.workspaceId, settings: ctx.settings });
  },
});

export const referrals = definePlugin({
  id: 'referrals',
  name: 'Referrals',
  version: '0.3.0',
  kernel: '^1.0.0',
  dependsOn: { loyalty: '^1.0.0' },
  resolvers: [ReferralResolver],
  rules: { Query: { referralBonus: requires('contact:read') } },
});

export const badges = definePlugin({
  id: 'badges',
  name: 'Badges',
  version: '0.1.0',
  kernel: '^1.0.0',
  dependsOn: { loyalty: '^1.0.0' },
  resolvers: [BadgeResolver],
  rules: { Query: { badges: requires('contact:read') } },
});

export const fixturePlugins = [loyalty, referrals, badges];
