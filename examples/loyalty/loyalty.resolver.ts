import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import {
  contactOrReject,
  ContactNode,
  InputRejected,
  recordTimelineEvent,
  runMutation,
  Sql,
  sql,
  UserError,
  type RequestContext,
} from '../../src/sdk/index.js';

/** The most points one award may give (or take back, negative). */
export const MAX_AWARD = 10_000;

@InputType({ description: 'Points to add to (or, negative, take from) a contact’s loyalty balance (acme-loyalty).' })
export class AwardLoyaltyPointsInput {
  @Field(() => ID, { description: 'Global id of a contact.' }) contactId!: string;
  @Field(() => Int, { description: `Non-zero, at most ${MAX_AWARD} either way; the balance never goes below 0.` }) points!: number;
}

@ObjectType({ description: 'A contact’s loyalty balance (acme-loyalty).' })
export class LoyaltyBalance {
  @Field(() => ID) contactId!: string;
  @Field(() => Int) points!: number;
}

@ObjectType()
export class AwardLoyaltyPointsPayload {
  @Field(() => LoyaltyBalance, { nullable: true }) balance?: LoyaltyBalance | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

/**
 * Adds `Contact.loyaltyPoints` to the kernel's Contact type, only in workspaces where the plugin is enabled. Batched:
 * a page of contacts reads its balances in one statement (a per-request DataLoader from `ctx.loaders`).
 */
@Resolver(() => ContactNode)
export class LoyaltyContactResolver {
  @FieldResolver(() => Int, { description: 'Loyalty points of the contact (acme-loyalty).' })
  loyaltyPoints(@Root() contact: { id: string }, @Ctx() ctx: RequestContext): Promise<number> {
    return ctx.loaders
      .get<string, number>('acme-loyalty.points', async (contactIds, c) => {
        const q = sql`select contact_id, points from loyalty_account
          where workspace_id = ${c.principal.workspaceId} and contact_id in (${Sql.join(
            contactIds.map((id) => sql`${id}`),
            ', ',
          )})`;
        const rows = await c.em.execute<{ contact_id: string; points: number }[]>(q.text, q.params);
        const points = new Map(rows.map((r) => [r.contact_id, Number(r.points)]));
        return contactIds.map((id) => points.get(id) ?? 0);
      })
      .load(contact.id);
  }
}

@Resolver()
export class LoyaltyResolver {
  @Mutation(() => AwardLoyaltyPointsPayload, { description: 'Awards loyalty points to a contact (needs loyalty:award).' })
  awardLoyaltyPoints(@Arg('input', () => AwardLoyaltyPointsInput) input: AwardLoyaltyPointsInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      // validation: thrown InputRejected roll the transaction back and come back as `userErrors`
      if (!Number.isInteger(input.points) || input.points === 0 || Math.abs(input.points) > MAX_AWARD) {
        throw InputRejected.one('points', `points must be a non-zero whole number between -${MAX_AWARD} and ${MAX_AWARD}`);
      }
      const workspaceId = ctx.principal.workspaceId!;
      // the kernel's check, with the caller's record scope: a contact they may not read is NOT_FOUND, like a missing one
      const contactId = (await contactOrReject(tx, input.contactId, 'contactId', 'no such contact')).id;
      const points = await addPoints(tx, workspaceId, contactId, input.points);
      // on the contact's timeline (an entry type the manifest declares: hidden where the plugin is disabled)
      await recordTimelineEvent(tx, {
        entryType: 'loyalty.pointsAwarded',
        title: `${input.points > 0 ? 'Awarded' : 'Took back'} ${Math.abs(input.points)} loyalty points`,
        data: { points: input.points, balance: points },
        actorId: ctx.principal.userId,
        targets: [{ type: 'Contact', id: contactId }],
      });
      return { balance: { contactId: input.contactId, points } };
    });
  }
}

/** Adds points (never below 0) and returns the new balance. */
export async function addPoints(ctx: Pick<RequestContext, 'em'>, workspaceId: string, contactId: string, points: number): Promise<number> {
  const q = sql`insert into loyalty_account (id, workspace_id, created_at, updated_at, contact_id, points)
    values (gen_random_uuid(), ${workspaceId}, now(), now(), ${contactId}, greatest(${points}::int, 0))
    on conflict (workspace_id, contact_id) do update set points = greatest(loyalty_account.points + ${points}::int, 0), updated_at = now()
    returning points`;
  const rows = await ctx.em.execute<{ points: number }[]>(q.text, q.params);
  return Number(rows[0]!.points);
}
