import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { AppConfig } from '../../config.js';
import { ErrorCode } from '../../graphql/errors.js';

/** Which limit refused an operation: sent as `extensions.limit` next to `code: BAD_USER_INPUT`. */
export type QueryLimit = 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'costLimit' | 'maxTokens';

export interface ArmorOptions {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin<BaseContext>[];
  parseOptions: ParseOptions;
}

/**
 * graphql-armor's operation limits for Apollo Server, sized by configuration (see README.md here).
 *
 * Every refusal answers HTTP 400 with `extensions.code = BAD_USER_INPUT` and `extensions.limit` naming the limit.
 * Depth, aliases, directives and cost are armor's validation rules. Tokens: armor's Apollo max-tokens plugin throws
 * from `parsingDidStart`, which Apollo 5 handles as an unexpected failure (HTTP 500, and `willSendResponse` never runs,
 * so the request's database session would not be ended); graphql-js' own `maxTokens` parse option enforces the same
 * count inside Apollo's parse step instead, which answers 400 through the normal error path.
 */
export function armorOptions(config: AppConfig): ArmorOptions {
  const reject = (limit: QueryLimit) => (context: ValidationContext | null, error: GraphQLError) => {
    context?.reportError(
      new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: ErrorCode.BAD_USER_INPUT, limit } }),
    );
  };
  // a limit of 0 turns that protection off
  const rule = (limit: QueryLimit, n: number) => ({ enabled: n > 0, propagateOnRejection: false, onReject: [reject(limit)] });
  const armor = new ApolloArmor({
    maxDepth: { n: config.GRAPHQL_MAX_DEPTH, ...rule('maxDepth', config.GRAPHQL_MAX_DEPTH) },
    maxAliases: { n: config.GRAPHQL_MAX_ALIASES, ...rule('maxAliases', config.GRAPHQL_MAX_ALIASES) },
    maxDirectives: { n: config.GRAPHQL_MAX_DIRECTIVES, ...rule('maxDirectives', config.GRAPHQL_MAX_DIRECTIVES) },
    costLimit: { maxCost: config.GRAPHQL_MAX_COST, ...rule('costLimit', config.GRAPHQL_MAX_COST) },
    maxTokens: { enabled: false },
    // "Did you mean …?" hints reveal the schema: masked everywhere (Apollo's own switch also hides them in production)
    blockFieldSuggestion: { enabled: true },
  });
  const { validationRules, plugins } = armor.protect();
  return {
    validationRules: validationRules as ValidationRule[],
    plugins: [...(plugins as ApolloServerPlugin<BaseContext>[]), limitErrorCodes],
    parseOptions: config.GRAPHQL_MAX_TOKENS > 0 ? { maxTokens: config.GRAPHQL_MAX_TOKENS } : {},
  };
}

// graphql-js' wording (16.x spells it "more that")
const TOKEN_LIMIT = /Document contains more tha[nt] (\d+) tokens/;

/**
 * Apollo wraps validation and parse failures in its own classes, which set `GRAPHQL_VALIDATION_FAILED` /
 * `GRAPHQL_PARSE_FAILED`; limit refusals get back the documented BAD_USER_INPUT (HTTP status stays 400).
 */
const limitErrorCodes: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors }) {
        for (const error of errors) {
          const extensions = error.extensions as Record<string, unknown>;
          if (extensions.limit) extensions.code = ErrorCode.BAD_USER_INPUT;
          else if (extensions.code === 'GRAPHQL_PARSE_FAILED' && TOKEN_LIMIT.test(error.message)) {
            error.message = `Token limit of ${TOKEN_LIMIT.exec(error.message)![1]} exceeded.`;
            extensions.code = ErrorCode.BAD_USER_INPUT;
            extensions.limit = 'maxTokens' satisfies QueryLimit;
          }
        }
      },
    };
  },
};
