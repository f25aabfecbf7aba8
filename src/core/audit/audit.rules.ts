import { allow } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { requires } from '../../graphql/shield/rules.js';

/** Who may call the operations of the audit log. */
export const auditRules: RuleDeclarations = {
  Query: {
    auditLog: requires('audit:read'),
  },
  types: {
    AuditEntry: { '*': allow },
    AuditEntryConnection: { '*': allow },
    AuditEntryEdge: { '*': allow },
  },
};
