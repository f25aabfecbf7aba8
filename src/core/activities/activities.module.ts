/** GraphQL surface of: Activities, timelines and comments. Node types are registered with `nodeRegistry` here too. */
import { nodeRegistry } from '../../graphql/node-registry.js';
import { Activity } from './activity.entity.js';
import { ActivityResolver, ActivityTargetResolver } from './activity.resolver.js';
import { Comment } from '../comments/comment.entity.js';
import { CommentResolver } from '../comments/comment.resolver.js';
import { TimelineEvent } from '../timeline/timeline-event.entity.js';
import { CompanyTimelineFields, ContactTimelineFields, TimelineResolver } from '../timeline/timeline.resolver.js';

export { recordTimelineEvent } from '../timeline/timeline.service.js';

export const activityResolvers: Function[] = [ActivityResolver, ActivityTargetResolver, CommentResolver, TimelineResolver, CompanyTimelineFields, ContactTimelineFields];

nodeRegistry.register({ typeName: 'Activity', rootClass: Activity, load: (ctx, id) => ctx.loaders.byId(Activity).load(id) });
nodeRegistry.register({
  typeName: 'Comment',
  rootClass: Comment,
  load: async (ctx, id) => {
    const comment = await ctx.loaders.byId(Comment).load(id);
    return comment && !comment.deletedAt ? comment : null;
  },
});
nodeRegistry.register({ typeName: 'TimelineEvent', rootClass: TimelineEvent, load: (ctx, id) => ctx.loaders.byId(TimelineEvent).load(id) });
