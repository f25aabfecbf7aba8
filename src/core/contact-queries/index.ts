/** Contact segments: rules compiled to SQL, their queries, and the facts modules contribute (README.md). */
import './kernel-facts.js';

export { LIMITS as CONTACT_RULE_LIMITS, type ContactRule, type FieldRule, type FactRule } from './rules.js';
export { validateContactRules, type CompiledContactRules, type ContactRuleDependencies } from './validate.js';
export { countContacts, contactIdsMatching, contactsMatching, type ContactQueryOptions, type ContactIdsOptions } from './queries.js';
export { contactsAffectedBy, rulesAffectedBy, type AffectedContacts } from './affected.js';
export {
  CONTACT_FACTS_SLOT,
  contactFactsOf,
  defineContactFact,
  kernelContactFacts,
  type ContactFact,
  type ContactFactTarget,
} from './facts.js';
export { CONTACT_FIELD_NAMES } from './fields.js';
