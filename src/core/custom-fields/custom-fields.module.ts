import { kernelNodeTypes } from '../../graphql/node-registry.js';
import { CustomFieldDefinition } from './custom-field-definition.entity.js';
import { CustomFieldResolver } from './custom-field.resolver.js';

/** GraphQL surface of: custom field definitions (admin). */
export const customFieldResolvers: Function[] = [CustomFieldResolver];

kernelNodeTypes.register({
  typeName: 'CustomFieldDefinition',
  rootClass: CustomFieldDefinition,
  permission: 'customField:read',
  load: (ctx, id) => ctx.loaders.byId(CustomFieldDefinition).load(id),
});
