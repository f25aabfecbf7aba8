import { allow } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { requires } from '../../graphql/shield/rules.js';

/** Who may see and retry dead-lettered event deliveries. */
export const eventRules: RuleDeclarations = {
  Query: {
    deadLetters: requires('event:manage'),
  },
  Mutation: {
    retryDeadLetter: requires('event:manage'),
  },
  types: {
    DeadLetter: { '*': allow },
    DeadLetterConnection: { '*': allow },
    DeadLetterEdge: { '*': allow },
    RetryDeadLetterPayload: { '*': allow },
  },
};
