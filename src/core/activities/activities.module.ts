/** GraphQL surface of: Activities, timelines and comments. Node types are registered with `kernelNodeTypes` here too. */
import { kernelNodeTypes } from '../../graphql/node-registry.js';
import { Activity } from './activity.entity.js';
import { readable, readableComments } from '../customers/record-scope.js';
import { ActivityResolver, ActivityTargetResolver } from './activity.resolver.js';
import { Comment } from '../comments/comment.entity.js';
import { CommentResolver } from '../comments/comment.resolver.js';
import { TimelineEvent } from '../timeline/timeline-event.entity.js';
import { CompanyTimelineFields, ContactTimelineFields, TimelineResolver } from '../timeline/timeline.resolver.js';

export { recordTimelineEvent } from '../timeline/timeline.service.js';

export const activityResolvers: Function[] = [
  ActivityResolver,
  ActivityTargetResolver,
  CommentResolver,
  TimelineResolver,
  CompanyTimelineFields,
  ContactTimelineFields,
];

kernelNodeTypes.register({
  typeName: 'Activity',
  rootClass: Activity,
  permission: 'activity:read',
  load: (ctx, id) => readable(ctx, 'Activity').load(id),
});
kernelNodeTypes.register({
  typeName: 'Comment',
  rootClass: Comment,
  // comments are read with their activity
  permission: 'activity:read',
  load: async (ctx, id) => {
    const comment = await readableComments(ctx).load(id);
    return comment && !comment.deletedAt ? comment : null;
  },
});
// plugin timeline events carry no owner: every member sees them (their targets' timelines stay scoped)
kernelNodeTypes.register({
  typeName: 'TimelineEvent',
  rootClass: TimelineEvent,
  load: (ctx, id) => ctx.loaders.byId(TimelineEvent).load(id),
});
