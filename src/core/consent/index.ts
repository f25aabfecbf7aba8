export { ConsentActorKind, ConsentChange, ConsentField } from './consent-change.entity.js';
export { consentChanges, withConsentActor, type ConsentActor, type ConsentNote, type ConsentValues } from './consent.js';
export { ContactConsentHistoryField } from './consent.resolver.js';
export { consentRules } from './consent.rules.js';
export { ConsentSubscriber } from './consent.subscriber.js';
export { changeContactConsent, type ChangeContactConsentInput } from './change-consent.js';
