import { Arg, Args, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import {
  ConnectionArgs,
  ContactNode,
  contacts,
  countContacts,
  contactsMatching,
  GraphQLJSON,
  readRow,
  Sql,
  sql,
  toConnection,
  type CompiledContactRules,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { CampaignSegment } from './entities.js';
import { checkSegmentRules } from './dynamic.js';
import { CampaignSegmentNode, CampaignSegmentPreview } from './segment.types.js';

interface Preview {
  compiled: CompiledContactRules;
}

@Resolver(() => CampaignSegmentPreview)
export class CampaignSegmentPreviewResolver {
  @Query(() => CampaignSegmentPreview, {
    description: 'Counts and lists the contacts (in the caller’s scope) that rules match now, without saving anything.',
  })
  async campaignSegmentPreview(@Arg('rules', () => GraphQLJSON) rules: unknown, @Ctx() ctx: RequestContext): Promise<Preview> {
    return { compiled: await checkSegmentRules(ctx, rules, 'rules') };
  }

  @FieldResolver(() => Int, { description: 'Matching contacts in the caller’s scope (counted only when asked for).' })
  count(@Root() preview: Preview, @Ctx() ctx: RequestContext) {
    return countContacts(ctx, preview.compiled);
  }

  @FieldResolver(() => contacts.Connection)
  async contacts(
    @Root() preview: Preview,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('orderBy', () => [contacts.Order], { nullable: true }) orderBy: InstanceType<typeof contacts.Order>[] | null,
    @Ctx() ctx: RequestContext,
  ) {
    return toConnection(await contactsMatching(ctx, preview.compiled, args, { orderBy }));
  }
}

@Resolver(() => ContactNode)
export class ContactSegmentsResolver {
  @FieldResolver(() => [CampaignSegmentNode], { description: 'The live lists and segments the contact is a member of, by name.' })
  campaignSegments(@Root() contact: { id: string }, @Ctx() ctx: RequestContext) {
    return ctx.loaders
      .get<string, CampaignSegment[]>('campaigns.segmentsOfContact', async (contactIds, c) => {
        const q = sql`select m.contact_id, s.* from campaign_segment_member m join campaign_segment s on s.id = m.segment_id
          where m.workspace_id = ${c.principal.workspaceId} and s.deleted_at is null and m.contact_id in (${Sql.join(
            contactIds.map((id) => sql`${id}`),
            ', ',
          )}) order by lower(s.name), s.id`;
        const rows = await c.em.execute<(Record<string, unknown> & { contact_id: string })[]>(q.text, q.params);
        const byContact = new Map<string, CampaignSegment[]>();
        for (const row of rows) {
          const { contact_id, ...segment } = row;
          const list = byContact.get(contact_id) ?? [];
          list.push(readRow(c.em, CampaignSegment, segment));
          byContact.set(contact_id, list);
        }
        return contactIds.map((id) => byContact.get(id) ?? []);
      })
      .load(contact.id);
  }

  @FieldResolver(() => Int, { description: 'How many lists and segments the contact is a member of.' })
  async campaignSegmentCount(@Root() contact: { id: string }, @Ctx() ctx: RequestContext) {
    return (await this.campaignSegments(contact, ctx)).length;
  }
}
