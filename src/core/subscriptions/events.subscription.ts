import { Arg, Field, ID, ObjectType, Resolver, Root, Subscription } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { SubscribeResolverData } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { eventStream, type StreamedEvent } from './event-stream.js';

@ObjectType('DomainEvent', { description: "A committed domain event of the caller's workspace (`Subscription.events`)." })
export class DomainEventNode {
  @Field(() => ID, { description: 'Stable across redeliveries: clients use it for idempotency.' })
  id!: string;

  @Field({ description: "`contact.created`, `contact.updated`, `task.completed`, a plugin's `deal.won` …" })
  type!: string;

  @Field()
  occurredAt!: Date;

  @Field(() => ID, { nullable: true, description: 'The user whose write emitted it (raw id).' })
  actorUserId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The API key whose write emitted it (raw id).' })
  actorApiKeyId!: string | null;

  @Field(() => GraphQLJSON, {
    description: "The event's data (e.g. `{ id, contact: {…} }`), without protected fields the caller may not see.",
  })
  payload!: Record<string, unknown>;
}

@Resolver()
export class EventSubscriptionResolver {
  @Subscription(() => DomainEventNode, {
    description:
      "Streams the domain events of the caller's workspace committed after the subscription starts (graphql-ws at `/graphql/ws`), " +
      'only those the caller may read: `contact.*` needs `contact:read`, `company.*` `company:read`, `activity.*` and `task.*` `activity:read`, ' +
      "a plugin's `thing.*` `thing:read`; with an OWN/TEAM scope only events whose payload names an owner in reach. " +
      '`types`: event types, or prefixes like `contact.*`; none: all.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, { types?: string[] | null }, RequestContext>) => {
      workspaceOf(context);
      return eventStream(context.orm, context.principal, args.types);
    },
  })
  events(@Root() event: StreamedEvent, @Arg('types', () => [String], { nullable: true }) _types?: string[] | null): DomainEventNode {
    return event as DomainEventNode;
  }
}

/**
 * type-graphql refuses a schema with a Subscription unless `buildSchema` gets a `pubSub`; every subscription here
 * brings its own `subscribe` (no topics), so this one is never used.
 */
export const unusedPubSub = {
  publish(): void {
    throw new Error('Subscriptions bring their own `subscribe`: there is no pub/sub to publish to');
  },
  subscribe(): AsyncIterable<never> {
    throw new Error('Subscriptions bring their own `subscribe`: topics are not supported');
  },
};
