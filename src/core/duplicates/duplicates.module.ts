/** GraphQL surface of: Duplicate detection and merge. Node types are registered with `nodeRegistry` here too. */
export const duplicateResolvers: Function[] = [];
