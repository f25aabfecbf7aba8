import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import {
  ConnectionArgs,
  contacts,
  expectGlobalId,
  keysetPage,
  pageRequest,
  readColumns,
  readRow,
  runMutation,
  Sql,
  sql,
  toConnection,
  toGlobalId,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { CampaignSegment, SegmentKind } from './entities.js';
import {
  CampaignListMembersInput,
  CampaignListMembersPayload,
  CampaignSegmentConnection,
  CampaignSegmentNode,
  CampaignSegmentPayload,
  CreateCampaignSegmentInput,
  DeleteCampaignSegmentInput,
  DeleteCampaignSegmentPayload,
  ImportCampaignListCsvInput,
  ImportCampaignListPayload,
  UpdateCampaignSegmentInput,
} from './segment.types.js';
import { addListMembers, createSegment, deleteSegment, removeListMembers, SEGMENT, updateSegment } from './segment.service.js';
import { importListCsv } from './list-import.js';

/** Live segments by id (null for trashed, missing or foreign ones). */
export function liveSegments(ctx: RequestContext) {
  return ctx.loaders.byIdWhere(CampaignSegment, 'live', () => sql`t.deleted_at is null`);
}

@Resolver(() => CampaignSegmentNode)
export class CampaignSegmentResolver {
  @Query(() => CampaignSegmentConnection, { description: 'Lists and segments by name (needs campaign:read).' })
  async campaignSegments(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('kind', () => SegmentKind, { nullable: true }) kind: SegmentKind | null,
    @Ctx() ctx: RequestContext,
  ) {
    const where = Sql.and([
      sql`s.workspace_id = ${ctx.principal.workspaceId} and s.deleted_at is null`,
      kind ? sql`s.kind = ${kind}` : sql`true`,
    ]);
    const page = await keysetPage(
      ctx.em,
      {
        from: 'campaign_segment s',
        select: readColumns(ctx.em, CampaignSegment, 's'),
        where,
        orderBy: [{ expr: 'lower(s.name)', direction: 'ASC', nullable: false }],
        idExpr: 's.id',
      },
      pageRequest(args),
      (row) => readRow(ctx.em, CampaignSegment, row),
    );
    return toConnection(page);
  }

  @Query(() => CampaignSegmentNode, { nullable: true })
  campaignSegment(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return liveSegments(ctx).load(expectGlobalId(id, SEGMENT, 'id'));
  }

  @Mutation(() => CampaignSegmentPayload, { description: 'Creates a list or a dynamic segment (its members are computed at once).' })
  createCampaignSegment(@Arg('input', () => CreateCampaignSegmentInput) input: CreateCampaignSegmentInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ segment: await createSegment(tx, input) }));
  }

  @Mutation(() => CampaignSegmentPayload)
  updateCampaignSegment(@Arg('input', () => UpdateCampaignSegmentInput) input: UpdateCampaignSegmentInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ segment: await updateSegment(tx, input) }));
  }

  @Mutation(() => DeleteCampaignSegmentPayload)
  deleteCampaignSegment(@Arg('input', () => DeleteCampaignSegmentInput) input: DeleteCampaignSegmentInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deletedId: toGlobalId(SEGMENT, (await deleteSegment(tx, input)).id) }));
  }

  @Mutation(() => CampaignListMembersPayload, { description: 'Adds contacts to a STATIC list.' })
  addCampaignListMembers(@Arg('input', () => CampaignListMembersInput) input: CampaignListMembersInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, (tx) => addListMembers(tx, input));
  }

  @Mutation(() => CampaignListMembersPayload, { description: 'Removes contacts from a STATIC list.' })
  removeCampaignListMembers(@Arg('input', () => CampaignListMembersInput) input: CampaignListMembersInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, (tx) => removeListMembers(tx, input));
  }

  @Mutation(() => ImportCampaignListPayload, { description: 'Adds the contacts a CSV names by email to a STATIC list.' })
  importCampaignListCsv(@Arg('input', () => ImportCampaignListCsvInput) input: ImportCampaignListCsvInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, (tx) => importListCsv(tx, input));
  }

  @FieldResolver(() => ID)
  id(@Root() segment: CampaignSegment) {
    return toGlobalId(SEGMENT, segment.id);
  }

  @FieldResolver(() => contacts.Connection, { description: 'Members the caller may read, with the contact list’s filters and sorts.' })
  async members(
    @Root() segment: CampaignSegment,
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Arg('filter', () => contacts.Filter, { nullable: true }) filter: InstanceType<typeof contacts.Filter> | null,
    @Arg('orderBy', () => [contacts.Order], { nullable: true }) orderBy: InstanceType<typeof contacts.Order>[] | null,
    @Ctx() ctx: RequestContext,
  ) {
    const query = await contacts.listQuery(ctx, filter, orderBy);
    query.where = Sql.and([
      query.where,
      sql`exists (select 1 from campaign_segment_member m where m.workspace_id = ${segment.workspaceId} and m.segment_id = ${segment.id} and m.contact_id = c.id)`,
    ]);
    return toConnection(await keysetPage(ctx.em, query, pageRequest(args), (row) => readRow(ctx.em, contacts.definition.entity, row)));
  }
}
