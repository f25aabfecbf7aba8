import { kernelNodeTypes } from '../../graphql/node-registry.js';
import { Contact } from './contact.entity.js';
import { CompanyContactsField, ContactResolver } from './contact.resolver.js';
import { readable } from './record-scope.js';

/** GraphQL surface of: Contacts (and Company.contacts). Node types are registered with `kernelNodeTypes` here too. */
export const contactResolvers: Function[] = [ContactResolver, CompanyContactsField];

kernelNodeTypes.register({
  typeName: 'Contact',
  rootClass: Contact,
  permission: 'contact:read',
  load: (ctx, id) => readable(ctx, 'Contact').load(id),
});
