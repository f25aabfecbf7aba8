import { allow } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';

/** `Contact.consentHistory` falls under the Contact type's rules (readable with the contact). */
export const consentRules: RuleDeclarations = {
  types: {
    ConsentChange: { '*': allow },
    ConsentChangeConnection: { '*': allow },
    ConsentChangeEdge: { '*': allow },
  },
};
