/** GraphQL surface of: Custom field definitions. Node types are registered with `nodeRegistry` here too. */
export const customFieldResolvers: Function[] = [];
