import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { selectedFields } from '../../graphql/selection.js';
import type { RequestContext } from '../../graphql/context.js';
import { toConnection } from '../../graphql/relay.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { UserNode } from '../identity/user.types.js';
import { User } from '../identity/user.entity.js';
import { CompanyNode } from '../customers/company.types.js';
import { ContactNode } from '../customers/contact.types.js';
import { ActivityType } from '../activities/activity.entity.js';
import { RecentActivities } from '../activities/activity.types.js';
import { recentActivitiesLoader } from '../activities/activity.service.js';
import type { TimelineEvent } from './timeline-event.entity.js';
import { TimelineArgs, TimelineConnection, TimelineEventNode } from './timeline.types.js';
import { timelinePage, timelinePagesLoader, timelineTargetOf } from './timeline.service.js';

export const TIMELINE_EVENT = 'TimelineEvent';

@Resolver(() => TimelineEventNode)
export class TimelineResolver {
  @Query(() => TimelineConnection, {
    description: 'Timeline of any record (contact, company, plugin record): activities and plugin events, newest first.',
  })
  async timeline(@Arg('targetId', () => ID) targetId: string, @Args() args: TimelineArgs, @Ctx() ctx: RequestContext) {
    return toConnection(await timelinePage(ctx, timelineTargetOf(targetId), args, args.types));
  }

  @FieldResolver(() => ID)
  id(@Root() event: TimelineEvent) {
    return toGlobalId(TIMELINE_EVENT, event.id);
  }

  @FieldResolver(() => UserNode, { nullable: true, description: 'Who caused the event, if a user did.' })
  actor(@Root() event: TimelineEvent, @Ctx() ctx: RequestContext) {
    return event.actorId ? ctx.loaders.byId(User).load(event.actorId) : null;
  }
}

/** `timeline` and `activities` fields for a kernel record type (Company here; Contact once its type exists). */
export function timelineFieldsFor(nodeType: Function, typeName: string) {
  @Resolver(() => nodeType)
  class TimelineFields {
    @FieldResolver(() => TimelineConnection, { description: 'Activities and plugin events on this record, newest first.' })
    async timeline(@Root() record: { id: string }, @Args() args: TimelineArgs, @Ctx() ctx: RequestContext) {
      return toConnection(await timelinePagesLoader(ctx, typeName, args, args.types).load(record.id));
    }

    @FieldResolver(() => RecentActivities, {
      description: 'The latest activities (newest first), loaded for all records of a list in one query. Page further with `timeline`.',
    })
    activities(
      @Root() record: { id: string },
      @Arg('first', () => Int, { defaultValue: 5, description: 'At most 50.' }) first: number,
      @Arg('types', () => [ActivityType], { nullable: true }) types: ActivityType[] | null,
      @Ctx() ctx: RequestContext,
      @Info() info: GraphQLResolveInfo,
    ) {
      return recentActivitiesLoader(ctx, typeName, first, types, selectedFields(info, ['nodes'])).load(record.id);
    }
  }
  Object.defineProperty(TimelineFields, 'name', { value: `${typeName}TimelineFields` });
  return TimelineFields;
}

export const CompanyTimelineFields = timelineFieldsFor(CompanyNode, 'Company');
export const ContactTimelineFields = timelineFieldsFor(ContactNode, 'Contact');
