import type { RuleDeclarations } from '../../graphql/shield/declarations.js';

/** Who may call the operations of the audit log. */
export const auditRules: RuleDeclarations = {};
