/** GraphQL surface of: Search across companies and contacts. Node types are registered with `nodeRegistry` here too. */
export const searchResolvers: Function[] = [];
