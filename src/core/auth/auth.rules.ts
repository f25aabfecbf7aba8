import type { RuleDeclarations } from '../../graphql/shield/declarations.js';

/** Who may call the operations of authentication (sign-in, tokens, two-factor, API keys). */
export const authRules: RuleDeclarations = {};
