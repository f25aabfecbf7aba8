import { readRow } from '../../db/read-rows.js';
import { Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ConnectionArgs, Connection, pageRequest, toConnection } from '../../graphql/relay.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { keysetPage } from '../../graphql/keyset-page.js';
import { sql } from '../../db/sql.js';
import { User } from './user.entity.js';
import { UserNode } from './user.types.js';

export const UserConnection = Connection(UserNode, 'User');

@Resolver(() => UserNode)
export class UserResolver {
  @Query(() => UserConnection, { description: 'Members of the workspace.' })
  async users(@Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    const where = sql`m.workspace_id = ${workspaceOf(ctx)}`;
    const result = await keysetPage(
      ctx.em,
      {
        from: 'app_user u join membership m on m.user_id = u.id',
        select: 'u.id, u.email, u.name, u.created_at, u.updated_at',
        where,
        orderBy: [{ expr: 'lower(u.name)', direction: 'ASC' }],
        idExpr: 'u.id',
      },
      pageRequest(page),
      (row) => readRow(ctx.em, User, row),
    );
    return toConnection(result);
  }

  @FieldResolver(() => ID)
  id(@Root() user: User) {
    return toGlobalId('User', user.id);
  }
}
