/** GraphQL surface of: Contacts (and Company.contacts). Node types are registered with `nodeRegistry` here too. */
export const contactResolvers: Function[] = [];
