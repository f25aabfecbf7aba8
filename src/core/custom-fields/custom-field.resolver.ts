import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { runMutation } from '../shared/mutation.js';
import { DeletePayload } from '../shared/delete-payload.js';
import { CustomFieldDefinition } from './custom-field-definition.entity.js';
import { CreateCustomFieldInput, CustomFieldDefinitionNode, CustomFieldPayload, UpdateCustomFieldInput } from './custom-field.types.js';
import { createCustomField, deleteCustomField, setArchived, updateCustomField } from './custom-field-admin.service.js';

@Resolver(() => CustomFieldDefinitionNode)
export class CustomFieldResolver {
  @Query(() => [CustomFieldDefinitionNode], { description: 'Custom fields of an object type (or all), in form order.' })
  customFields(
    @Arg('objectType', () => String, { nullable: true }) objectType: string | null,
    @Arg('includeArchived', { defaultValue: false }) includeArchived: boolean,
    @Ctx() ctx: RequestContext,
  ) {
    workspaceOf(ctx);
    return ctx.em.find(
      CustomFieldDefinition,
      { ...(objectType ? { objectType } : {}), ...(includeArchived ? {} : { archivedAt: null }) },
      { orderBy: { objectType: 'asc', position: 'asc', key: 'asc' } },
    );
  }

  @Mutation(() => CustomFieldPayload)
  createCustomField(@Arg('input', () => CreateCustomFieldInput) input: CreateCustomFieldInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ customField: await createCustomField(tx, input) }));
  }

  @Mutation(() => CustomFieldPayload)
  updateCustomField(@Arg('input', () => UpdateCustomFieldInput) input: UpdateCustomFieldInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ customField: await updateCustomField(tx, { ...input }) }));
  }

  @Mutation(() => CustomFieldPayload, { description: 'Hides the field; stored values are kept.' })
  archiveCustomField(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ customField: await setArchived(tx, id, true) }));
  }

  @Mutation(() => CustomFieldPayload)
  unarchiveCustomField(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ customField: await setArchived(tx, id, false) }));
  }

  @Mutation(() => DeletePayload, { description: 'Deletes the field and erases its values from every record.' })
  deleteCustomField(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deletedId: toGlobalId('CustomFieldDefinition', await deleteCustomField(tx, id)) }));
  }

  @FieldResolver(() => ID)
  id(@Root() def: CustomFieldDefinition) {
    return toGlobalId('CustomFieldDefinition', def.id);
  }
}
