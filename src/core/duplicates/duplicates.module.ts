import { DuplicateResolver } from './duplicate.resolver.js';

/** GraphQL surface of: Duplicate detection and merge. Node types are registered with `nodeRegistry` here too. */
export const duplicateResolvers: Function[] = [DuplicateResolver];
