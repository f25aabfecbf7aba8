import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { ConnectionArgs, toConnection } from '../../graphql/relay.js';
import { graphqlError, ErrorCode } from '../../graphql/errors.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { runMutation } from '../shared/mutation.js';
import { UserNode } from '../identity/user.types.js';
import { User } from '../identity/user.entity.js';
import { readable } from '../customers/record-scope.js';
import { ActivityNode } from '../activities/activity.types.js';
import type { Comment } from './comment.entity.js';
import { AddCommentInput, CommentConnection, CommentNode, CommentPayload } from './comment.types.js';
import { addComment, COMMENT, deleteComment, editComment, mentionsPage } from './comment.service.js';

@Resolver(() => CommentNode)
export class CommentResolver {
  @Query(() => CommentConnection, { description: 'Comments mentioning the calling user, newest first.' })
  async myMentions(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    if (!ctx.principal.userId) throw graphqlError(ErrorCode.UNAUTHENTICATED, 'myMentions needs a signed-in user (X-User header).');
    return toConnection(await mentionsPage(ctx, ctx.principal.userId, page));
  }

  @Mutation(() => CommentPayload)
  addComment(@Arg('input', () => AddCommentInput) input: AddCommentInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ comment: await addComment(tx, input) }));
  }

  @Mutation(() => CommentPayload, { description: 'Replaces the body of your comment; mentions in the new body are added.' })
  editComment(@Arg('id', () => ID) id: string, @Arg('body') body: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ comment: await editComment(tx, { id, body }) }));
  }

  @Mutation(() => CommentPayload)
  deleteComment(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ comment: await deleteComment(tx, id) }));
  }

  @FieldResolver(() => ID)
  id(@Root() comment: Comment) {
    return toGlobalId(COMMENT, comment.id);
  }

  @FieldResolver(() => ActivityNode, { nullable: true })
  activity(@Root() comment: Comment, @Ctx() ctx: RequestContext) {
    return readable(ctx, 'Activity').load(comment.activity.id);
  }

  @FieldResolver(() => UserNode, { nullable: true })
  author(@Root() comment: Comment, @Ctx() ctx: RequestContext) {
    return comment.author ? ctx.loaders.byId(User).load(comment.author.id) : null;
  }

  @FieldResolver(() => [UserNode])
  async mentions(@Root() comment: Comment, @Ctx() ctx: RequestContext) {
    const users = await ctx.loaders.byId(User).loadMany(comment.mentionedUserIds);
    return users.filter((u): u is User => u != null && !(u instanceof Error));
  }
}
