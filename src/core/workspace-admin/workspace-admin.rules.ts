import type { RuleDeclarations } from '../../graphql/shield/declarations.js';

/** Who may call the operations of workspace administration (roles, members, teams, invitations). */
export const workspaceAdminRules: RuleDeclarations = {};
