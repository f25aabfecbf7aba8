/** GraphQL surface of: Activities, timelines and comments. Node types are registered with `nodeRegistry` here too. */
export const activityResolvers: Function[] = [];
