import { ArgsType, Field, ID, InterfaceType, ObjectType, type ClassType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Connection, ConnectionArgs, Node } from '../../graphql/relay.js';
import { nodeTypesOf } from '../../graphql/node-registry.js';
import type { RequestContext } from '../../graphql/context.js';

/**
 * Something that happened to a record: a kernel activity or an event a plugin recorded with
 * `recordTimelineEvent`. Plugins add entry types by writing events, not by extending this interface.
 */
@InterfaceType({
  description: 'An entry on the timeline of a contact, a company or a plugin record.',
  resolveType: (value: object, ctx: RequestContext) => nodeTypesOf(ctx).typeNameOf(value),
})
export abstract class TimelineEntry {
  @Field(() => ID) id!: string;
  @Field() occurredAt!: Date;
  @Field({ description: 'Activity type (CALL, TASK, …) or a plugin event type such as `deal.stageChanged`.' }) entryType!: string;
}

@ObjectType('TimelineEvent', { implements: [Node, TimelineEntry], description: 'A timeline entry recorded by a plugin.' })
export class TimelineEventNode {
  @Field(() => ID) id!: string;
  @Field() occurredAt!: Date;
  @Field() entryType!: string;
  @Field() title!: string;
  @Field(() => String, { nullable: true }) body?: string | null;
  @Field(() => GraphQLJSON) data!: Record<string, unknown>;
  @Field() createdAt!: Date;
}

export const TimelineConnection = Connection(TimelineEntry as unknown as ClassType<TimelineEntry>, 'Timeline');

@ArgsType()
export class TimelineArgs extends ConnectionArgs {
  @Field(() => [String], { nullable: true, description: 'Only entries of these types (activity types or plugin event types).' })
  types?: string[] | null;
}
