import { allow } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { signedIn } from '../../graphql/shield/rules.js';

/** Any member or API key may subscribe; the stream itself filters events by permission and scope (event-stream.ts). */
export const subscriptionRules: RuleDeclarations = {
  Subscription: {
    events: signedIn,
  },
  types: {
    DomainEvent: { '*': allow },
  },
};
