import type { ShieldRule } from './rules.js';

/** Field name → rule; `'*'` covers the type's fields not named. */
export type TypeRules = Record<string, ShieldRule>;

/**
 * Authorization rules of one module (the kernel's areas, later each plugin). Every root field is named one
 * by one; every object type is declared, usually with `'*': allow` because its objects are only reachable
 * through root fields and relations that checked permissions and scope. The schema-walk test fails on any
 * field without a rule.
 */
export interface RuleDeclarations {
  Query?: Record<string, ShieldRule>;
  Mutation?: Record<string, ShieldRule>;
  Subscription?: Record<string, ShieldRule>;
  types?: Record<string, TypeRules>;
}
