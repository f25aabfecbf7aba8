import { Arg, Args, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected, UserError } from '../../graphql/errors.js';
import { ConnectionArgs, Connection, pageRequest, toConnection } from '../../graphql/relay.js';
import { expectGlobalId, toGlobalId } from '../../graphql/global-id.js';
import { keysetPage } from '../../graphql/keyset-page.js';
import { sql } from '../../db/sql.js';
import { runMutation } from '../shared/mutation.js';
import { recordAuditAs } from '../audit/audit-log.js';

@ObjectType('DeadLetter', {
  description: 'A delivery of a domain event to a subscriber that failed `maxAttempts` times. Needs `event:manage`.',
})
export class DeadLetterNode {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { description: "The event's id (stable across redeliveries: subscribers use it for idempotency)." })
  eventId!: string;

  @Field({ description: 'e.g. `contact.created`.' })
  eventType!: string;

  @Field({ description: '`<plugin>/<subscriber name>`.' })
  subscriber!: string;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => GraphQLJSON)
  payload!: unknown;

  @Field()
  occurredAt!: Date;

  @Field({ description: 'When the last attempt failed.' })
  failedAt!: Date;
}

export const DeadLetterConnection = Connection(DeadLetterNode, 'DeadLetter');

@ObjectType()
export class RetryDeadLetterPayload {
  @Field(() => DeadLetterNode, { nullable: true, description: 'The delivery as it was before the retry was queued.' })
  deadLetter?: DeadLetterNode | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

function toNode(row: Record<string, unknown>): DeadLetterNode {
  const node = new DeadLetterNode();
  node.id = toGlobalId('DeadLetter', String(row.id));
  node.eventId = String(row.event_id);
  node.eventType = String(row.type);
  node.subscriber = String(row.subscriber);
  node.attempts = Number(row.attempts);
  node.lastError = (row.last_error as string | null) ?? null;
  node.payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
  node.occurredAt = date(row.occurred_at);
  node.failedAt = date(row.updated_at);
  return node;
}

const SELECT = 'd.id, d.event_id, e.type, d.subscriber, d.attempts, d.last_error, e.payload, e.occurred_at, d.updated_at';

@Resolver()
export class DeadLetterResolver {
  @Query(() => DeadLetterConnection, {
    description: "The workspace's dead-lettered event deliveries, most recently failed first. Needs `event:manage`.",
  })
  async deadLetters(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    const result = await keysetPage(
      ctx.em,
      {
        from: 'outbox_delivery d join outbox_event e on e.id = d.event_id',
        select: SELECT,
        where: sql`d.workspace_id = ${workspaceOf(ctx)} and d.status = 'dead'`,
        orderBy: [{ expr: 'd.updated_at', direction: 'DESC', nullable: false }],
        idExpr: 'd.id',
      },
      pageRequest(page),
      toNode,
    );
    return toConnection(result);
  }

  @Mutation(() => RetryDeadLetterPayload, {
    description: 'Queues a dead-lettered delivery again (attempts start over). Needs `event:manage`.',
  })
  retryDeadLetter(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const deliveryId = expectGlobalId(id, 'DeadLetter', 'id');
      const workspaceId = workspaceOf(ctx);
      const rows = await tx.em.execute<Record<string, unknown>[]>(
        `select ${SELECT} from outbox_delivery d join outbox_event e on e.id = d.event_id where d.id = ? and d.workspace_id = ? and d.status = 'dead' for update of d`,
        [deliveryId, workspaceId],
      );
      if (!rows.length) throw InputRejected.one('id', 'dead letter not found', ErrorCode.NOT_FOUND);
      await tx.em.execute(
        `update outbox_delivery set status = 'pending', attempts = 0, next_attempt_at = clock_timestamp(), locked_until = null, updated_at = clock_timestamp() where id = ? and workspace_id = ?`,
        [deliveryId, workspaceId],
      );
      await recordAuditAs(tx, {
        action: 'event.deliveryRetried',
        objectType: 'DeadLetter',
        objectId: deliveryId,
        metadata: { subscriber: rows[0]!.subscriber, eventId: rows[0]!.event_id },
      });
      return { deadLetter: toNode(rows[0]!) };
    });
  }
}
