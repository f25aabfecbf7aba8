import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ConnectionArgs, toConnection } from '../../graphql/relay.js';
import { expectGlobalId, toGlobalId } from '../../graphql/global-id.js';
import { runMutation } from '../shared/mutation.js';
import { UserNode } from '../identity/user.types.js';
import { User } from '../identity/user.entity.js';
import type { Activity } from './activity.entity.js';
import { readable } from '../customers/record-scope.js';
import {
  ActivityConnection,
  ActivityFilter,
  ActivityNode,
  ActivityOrder,
  ActivityPayload,
  ActivityTarget,
  LogActivityInput,
  UpdateActivityInput,
} from './activity.types.js';
import {
  ACTIVITY,
  activityTargetsLoader,
  deleteActivity,
  isOverdue,
  listActivities,
  loadTarget,
  logActivity,
  restoreActivity,
  setTaskCompleted,
  updateActivity,
} from './activity.service.js';
import { CommentConnection } from '../comments/comment.types.js';
import { activityCommentsLoader, commentCountLoader } from '../comments/comment.service.js';
import { Node } from '../../graphql/relay.js';

@Resolver(() => ActivityNode)
export class ActivityResolver {
  @Query(() => ActivityNode, { nullable: true })
  async activity(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    workspaceOf(ctx);
    return readable(ctx, 'Activity').load(expectGlobalId(id, ACTIVITY, 'id'));
  }

  @Query(() => ActivityConnection, {
    description: 'Activities of the workspace, e.g. task lists: filter by type, assignee, due window, completion.',
  })
  async activities(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => ActivityFilter, { nullable: true }) filter: ActivityFilter | null,
    @Arg('orderBy', () => [ActivityOrder], { nullable: true, description: 'Default: occurredAt, newest first.' }) orderBy:
      | ActivityOrder[]
      | null,
    @Ctx() ctx: RequestContext,
  ) {
    return toConnection(await listActivities(ctx, page, filter, orderBy));
  }

  @Mutation(() => ActivityPayload, { description: 'Logs a call, email, meeting, note or task on the timelines of its targets.' })
  logActivity(@Arg('input', () => LogActivityInput) input: LogActivityInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ activity: await logActivity(tx, input) }));
  }

  @Mutation(() => ActivityPayload)
  updateActivity(@Arg('input', () => UpdateActivityInput) input: UpdateActivityInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ activity: await updateActivity(tx, input) }));
  }

  @Mutation(() => ActivityPayload)
  completeTask(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int, { nullable: true }) version: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    return runMutation(ctx, async (tx) => ({ activity: await setTaskCompleted(tx, id, version, true) }));
  }

  @Mutation(() => ActivityPayload)
  reopenTask(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int, { nullable: true }) version: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    return runMutation(ctx, async (tx) => ({ activity: await setTaskCompleted(tx, id, version, false) }));
  }

  @Mutation(() => ActivityPayload, { description: 'Removes an activity from all timelines (restore with restoreActivity).' })
  deleteActivity(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int, { nullable: true }) version: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    return runMutation(ctx, async (tx) => ({ activity: await deleteActivity(tx, id, version) }));
  }

  @Mutation(() => ActivityPayload)
  restoreActivity(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ activity: await restoreActivity(tx, id) }));
  }

  @FieldResolver(() => ID)
  id(@Root() activity: Activity) {
    return toGlobalId(ACTIVITY, activity.id);
  }

  @FieldResolver(() => String)
  entryType(@Root() activity: Activity) {
    return activity.type;
  }

  @FieldResolver(() => Boolean, { description: 'An open task past its due date.' })
  isOverdue(@Root() activity: Activity) {
    return isOverdue(activity);
  }

  @FieldResolver(() => UserNode, { nullable: true })
  assignee(@Root() activity: Activity, @Ctx() ctx: RequestContext) {
    return activity.assignee ? ctx.loaders.byId(User).load(activity.assignee.id) : null;
  }

  @FieldResolver(() => UserNode, { nullable: true })
  createdBy(@Root() activity: Activity, @Ctx() ctx: RequestContext) {
    return activity.createdBy ? ctx.loaders.byId(User).load(activity.createdBy.id) : null;
  }

  @FieldResolver(() => [ActivityTarget], { description: 'Records whose timelines show the activity, by type name.' })
  async targets(@Root() activity: Activity, @Ctx() ctx: RequestContext): Promise<ActivityTarget[]> {
    const targets = await activityTargetsLoader(ctx).load(activity.id);
    return targets.map((t) =>
      Object.assign(new ActivityTarget(), { targetType: t.targetType, targetId: toGlobalId(t.targetType, t.targetId), rawId: t.targetId }),
    );
  }

  @FieldResolver(() => CommentConnection, { description: 'Comments, oldest first.' })
  async comments(@Root() activity: Activity, @Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return toConnection(await activityCommentsLoader(ctx, page).load(activity.id));
  }

  @FieldResolver(() => Int)
  commentCount(@Root() activity: Activity, @Ctx() ctx: RequestContext) {
    return commentCountLoader(ctx).load(activity.id);
  }
}

@Resolver(() => ActivityTarget)
export class ActivityTargetResolver {
  @FieldResolver(() => Node, { nullable: true, description: 'The record; null when it was erased.' })
  target(@Root() target: ActivityTarget, @Ctx() ctx: RequestContext) {
    return loadTarget(ctx, target.targetType, target.rawId);
  }
}
