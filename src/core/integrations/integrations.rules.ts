import { allow } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { requires } from '../../graphql/shield/rules.js';

/** Who may manage inbound integrations (the posts themselves authenticate with the integration's token). */
export const integrationRules: RuleDeclarations = {
  Query: { integrations: requires('integration:manage') },
  Mutation: { createIntegration: requires('integration:manage'), revokeIntegration: requires('integration:manage') },
  types: {
    Integration: { '*': allow },
    CreateIntegrationPayload: { '*': allow },
    RevokeIntegrationPayload: { '*': allow },
  },
};
