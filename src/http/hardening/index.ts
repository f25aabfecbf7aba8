import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import type { AppConfig } from '../../config.js';
import type { RequestContext } from '../../graphql/context.js';
import { armorOptions } from './armor.js';
import { textInputPlugin, textLiteralsRule } from './text-input.js';
import { configureLoginThrottle } from '../../core/auth/login-throttle.js';
import { principalRateLimitPlugin } from '../../graphql/rate-limit.js';

export { rateLimitedError } from '../../graphql/rate-limit.js';
export { assertLoginAllowed, noteLoginFailure, noteLoginSuccess } from '../../core/auth/login-throttle.js';

type HardeningOptions = Pick<
  ApolloServerOptions<RequestContext>,
  | 'introspection'
  | 'csrfPrevention'
  | 'hideSchemaDetailsFromClientErrors'
  | 'includeStacktraceInErrorResponses'
  | 'allowBatchedHttpRequests'
  | 'validationRules'
  | 'parseOptions'
>;

/**
 * The GraphQL edge's protections (documented in README.md here): Apollo options to spread into the server's
 * constructor, and plugins to add. Also (re)configures this process's sign-in throttle.
 */
export function graphqlHardening(config: AppConfig): { options: HardeningOptions; plugins: ApolloServerPlugin<RequestContext>[] } {
  const production = config.NODE_ENV === 'production';
  const armor = armorOptions(config);
  configureLoginThrottle(config);
  const rateLimit = principalRateLimitPlugin(config);
  return {
    options: {
      introspection: !production,
      // refuses "simple" requests a browser would send cross-site without a preflight (GET or text/plain POST
      // without `apollo-require-preflight` / `x-apollo-operation-name`): HTTP 400
      csrfPrevention: true,
      hideSchemaDetailsFromClientErrors: production,
      includeStacktraceInErrorResponses: false,
      allowBatchedHttpRequests: false,
      validationRules: [...armor.validationRules, textLiteralsRule],
      parseOptions: armor.parseOptions,
    },
    plugins: [...(rateLimit ? [rateLimit] : []), ...armor.plugins, textInputPlugin as ApolloServerPlugin<RequestContext>],
  };
}
