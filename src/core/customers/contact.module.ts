import { nodeRegistry } from '../../graphql/node-registry.js';
import { Contact } from './contact.entity.js';
import { CompanyContactsField, ContactResolver } from './contact.resolver.js';

/** GraphQL surface of: Contacts (and Company.contacts). Node types are registered with `nodeRegistry` here too. */
export const contactResolvers: Function[] = [ContactResolver, CompanyContactsField];

nodeRegistry.register({ typeName: 'Contact', rootClass: Contact, load: (ctx, id) => ctx.loaders.byId(Contact).load(id) });
