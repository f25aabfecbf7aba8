import { DuplicateResolver } from './duplicate.resolver.js';

/** GraphQL surface of: Duplicate detection and merge. Node types are registered with `kernelNodeTypes` here too. */
export const duplicateResolvers: Function[] = [DuplicateResolver];
