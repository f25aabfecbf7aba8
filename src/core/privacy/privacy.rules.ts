import { allow } from 'graphql-shield';
import type { RuleDeclarations } from '../../graphql/shield/declarations.js';
import { requires } from '../../graphql/shield/rules.js';

const manage = requires('privacy:manage');

/** Who may answer privacy requests (Owner and Admin hold `privacy:manage`). */
export const privacyRules: RuleDeclarations = {
  Query: { exportPersonalData: manage },
  Mutation: { erasePersonalData: manage },
  types: {
    ErasePersonalDataPayload: { '*': allow },
    ErasedSection: { '*': allow },
  },
};
