import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { ErrorCode, InputRejected, UserError } from '../../graphql/errors.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { Node } from '../../graphql/relay.js';
import { runMutation } from '../shared/mutation.js';
import { currencyCode, parseInput, trimmed } from '../shared/validation.js';
import { Workspace } from './workspace.entity.js';
import { Membership } from '../identity/membership.entity.js';
import { BuiltinRoleKey } from '../../permissions/builtin-roles.js';
import { setTenantContext } from '../../db/rls/tenant-context.js';

@ObjectType('Workspace', { implements: Node })
export class WorkspaceNode extends Node {
  @Field() name!: string;
  @Field() slug!: string;
  @Field({ description: 'ISO-4217 currency used when none is given.' }) defaultCurrency!: string;
  @Field() createdAt!: Date;
}

@InputType()
export class CreateWorkspaceInput {
  @Field() name!: string;
  @Field({ description: 'URL-safe identifier, sent in the X-Workspace header.' }) slug!: string;
  @Field(() => String, { nullable: true }) defaultCurrency?: string;
}

@ObjectType()
export class WorkspacePayload {
  @Field(() => WorkspaceNode, { nullable: true }) workspace?: Workspace;
  @Field(() => [UserError]) userErrors!: UserError[];
}

const workspaceInput = z.object({
  name: trimmed(200).pipe(z.string().min(1, { message: 'must not be empty' })),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, { message: 'must be 2–63 lower-case letters, digits or dashes' }),
  defaultCurrency: currencyCode.default('USD'),
});

/** Creates a workspace whose owner is `ownerId`; the caller's own workspace context is restored afterwards. */
export async function createWorkspace(
  em: SqlEntityManager,
  input: unknown,
  ownerId: string,
  current: { workspaceId: string | null; userId: string | null },
): Promise<Workspace> {
  const data = parseInput(workspaceInput, input);
  if (await em.findOne(Workspace, { slug: data.slug }, { filters: false })) {
    throw InputRejected.one('slug', `the slug "${data.slug}" is taken`, ErrorCode.CONFLICT);
  }
  const workspace = em.create(Workspace, data);
  await em.flush();
  // the membership belongs to the new workspace: row-level security checks it against that workspace
  await setTenantContext(em, { workspaceId: workspace.id, userId: ownerId });
  await em.insert(Membership, {
    id: randomUUID(),
    workspaceId: workspace.id,
    userId: ownerId,
    role: BuiltinRoleKey.OWNER,
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  await setTenantContext(em, current);
  return workspace;
}

@Resolver(() => WorkspaceNode)
export class WorkspaceResolver {
  @Query(() => WorkspaceNode, { description: 'The workspace this request acts in.' })
  workspace(@Ctx() ctx: RequestContext) {
    return ctx.em.findOneOrFail(Workspace, { id: workspaceOf(ctx) });
  }

  @Mutation(() => WorkspacePayload, { description: 'Creates a workspace with the caller as its owner (sign in to it to work there).' })
  createWorkspace(@Arg('input', () => CreateWorkspaceInput) input: CreateWorkspaceInput, @Ctx() ctx: RequestContext) {
    const { userId, workspaceId } = ctx.principal;
    return runMutation(ctx, async ({ em }) => ({ workspace: await createWorkspace(em, input, userId!, { workspaceId, userId }) }));
  }

  @FieldResolver(() => ID)
  id(@Root() workspace: Workspace) {
    return toGlobalId('Workspace', workspace.id);
  }
}
