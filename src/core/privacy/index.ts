/** Privacy requests: export and erasure of one contact's personal data, the suppression list (README.md). */
export { PrivacyResolver } from './privacy.resolver.js';
export { privacyRules } from './privacy.rules.js';
export { exportParts, exportJsonChunks, exportDocument } from './privacy-export.js';
export { erasePersonalData } from './privacy.service.js';
export { isEmailSuppressed } from './suppression.js';
export { ErasureMode, type PrivacyHandler, type PrivacySubject, type ErasedRows } from './privacy-provider.js';
