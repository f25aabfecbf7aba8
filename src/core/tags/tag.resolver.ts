import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { toGlobalId, expectGlobalId } from '../../graphql/global-id.js';
import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { runMutation } from '../shared/mutation.js';
import { parseInput } from '../shared/validation.js';
import { DeletePayload } from '../shared/delete-payload.js';
import { Tag } from './tag.entity.js';
import { CreateTagInput, TagNode, TagPayload, UpdateTagInput } from './tag.types.js';
import { createTag, tagInput } from './tag.service.js';
import { recordAuditAs } from '../audit/audit-log.js';

@Resolver(() => TagNode)
export class TagResolver {
  @Query(() => [TagNode], { description: 'All tags of the workspace, by name.' })
  tags(@Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return ctx.em.find(Tag, {}, { orderBy: { normalizedName: 'asc' } });
  }

  @Mutation(() => TagPayload)
  createTag(@Arg('input', () => CreateTagInput) input: CreateTagInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async ({ em }) => ({ tag: await createTag(em, workspaceOf(ctx), input) }));
  }

  @Mutation(() => TagPayload)
  updateTag(@Arg('input', () => UpdateTagInput) input: UpdateTagInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async ({ em }) => {
      const tag = await em.findOne(Tag, { id: expectGlobalId(input.id, 'Tag', 'id') });
      if (!tag) throw InputRejected.one('id', 'tag not found', ErrorCode.NOT_FOUND);
      const data = parseInput(tagInput.partial(), { name: input.name ?? undefined, color: input.color });
      if (data.name) {
        const clash = await em.findOne(Tag, { normalizedName: data.name.toLowerCase(), id: { $ne: tag.id } });
        if (clash) throw InputRejected.one('name', `a tag named "${clash.name}" already exists`, ErrorCode.CONFLICT);
        tag.name = data.name;
        tag.normalizedName = data.name.toLowerCase();
      }
      if (data.color !== undefined) tag.color = data.color;
      await em.flush();
      return { tag };
    });
  }

  @Mutation(() => DeletePayload, { description: 'Deletes a tag and removes it from every record.' })
  deleteTag(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const tagId = expectGlobalId(id, 'Tag', 'id');
      const deleted = await tx.em.nativeDelete(Tag, { id: tagId });
      if (!deleted) throw InputRejected.one('id', 'tag not found', ErrorCode.NOT_FOUND);
      await recordAuditAs(tx, { action: 'tag.deleted', objectType: 'Tag', objectId: tagId });
      return { deletedId: id };
    });
  }

  @FieldResolver(() => ID)
  id(@Root() tag: Tag) {
    return toGlobalId('Tag', tag.id);
  }
}
