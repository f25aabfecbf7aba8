import { ApiKeyResolver, SessionResolver } from './auth.resolver.js';

/** Sign-in, sessions (rotating refresh tokens), two-factor, API keys and `me`. */
export const authResolvers = [SessionResolver, ApiKeyResolver];

export { issueSession, type IssuedTokens, type TokenSettings } from './auth.service.js';
