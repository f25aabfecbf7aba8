import { allow } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { anyone, requires, signedIn, signedInUser } from '../../graphql/shield/rules.js';

/** Who may call the authentication operations. Payload types follow their field's rule (see apply-shield.ts). */
export const authRules: RuleDeclarations = {
  Query: {
    me: signedIn,
    apiKeys: requires('apiKey:manage'),
  },
  Mutation: {
    signIn: anyone,
    refreshToken: anyone,
    signOut: signedInUser,
    changePassword: signedInUser,
    enrollTotp: signedInUser,
    confirmTotp: signedInUser,
    disableTotp: signedInUser,
    createApiKey: requires('apiKey:manage'),
    revokeApiKey: requires('apiKey:manage'),
  },
  types: {
    Me: { '*': allow },
    PermissionGrant: { '*': allow },
    HiddenFields: { '*': allow },
    ApiKey: { '*': allow },
  },
};
