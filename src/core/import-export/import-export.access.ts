import type { Principal } from '../../permissions/principal.js';
import { CONTACT_SCOPE, COMPANY_SCOPE, ACTIVITY_SCOPE, type RecordScope } from '../customers/record-scope.js';
import type { ImportAccess } from './import-engine.js';
import type { ImportObjectKind } from './import-fields.js';

type Kind = ImportObjectKind | 'activities';

const SCOPES: Record<Kind, RecordScope> = { contacts: CONTACT_SCOPE, companies: COMPANY_SCOPE, activities: ACTIVITY_SCOPE };

/**
 * CSV columns / import field paths that carry each protected field (a path ending in `.` covers its sub-fields,
 * e.g. `address.city`, `custom.region`).
 */
const PATHS: Record<string, Record<string, string[]>> = {
  Contact: {
    emails: ['email', 'emails'],
    primaryEmail: ['email'],
    phones: ['phone', 'phones'],
    address: ['address.'],
    customFields: ['custom.'],
  },
  Company: {
    annualRevenue: ['annualRevenue', 'annualRevenueCurrency'],
    employeeCount: ['employeeCount'],
    phones: ['phone', 'phones'],
    address: ['address.'],
    customFields: ['custom.'],
  },
};

/** The CSV columns / field paths hidden from the caller for a kind (prefixes end in `.`). */
export function hiddenPaths(principal: Principal, kind: Kind): string[] {
  const type = SCOPES[kind].type;
  const hidden = principal.access.hiddenFields(type);
  return [...new Set([...hidden].flatMap((field) => PATHS[type]?.[field] ?? []))];
}

export const isHiddenPath = (hidden: string[], path: string) => hidden.some((h) => (h.endsWith('.') ? path.startsWith(h) : path === h));

/** Why the caller may not export this kind (needs `export:run` and the type's read permission), or null. */
export function exportDenied(principal: Principal, kind: Kind): string | null {
  if (!principal.access.can('export:run')) return 'Your role lacks the permission export:run.';
  const read = SCOPES[kind].read;
  return principal.access.can(read) ? null : `Your role lacks the permission ${read}.`;
}

/** Why the caller may not import this kind (needs `import:run` plus create and update on the type), or null. */
export function importDenied(principal: Principal, kind: ImportObjectKind): string | null {
  const scope = SCOPES[kind];
  const create = `${scope.read.split(':')[0]}:create`;
  for (const permission of ['import:run', create, scope.update]) {
    if (!principal.access.can(permission)) return `Your role lacks the permission ${permission}.`;
  }
  return null;
}

/** The import's restrictions for this caller: records it creates are theirs, updates stay in their update scope. */
export function importAccessOf(principal: Principal, kind: ImportObjectKind): ImportAccess {
  const access = principal.access;
  const scope = SCOPES[kind];
  return {
    ownerId: principal.userId,
    mayUpdate: (ownerId) => access.reaches(scope.update, [ownerId]),
    mayReadCompany: (ownerId) => access.reaches(COMPANY_SCOPE.read, [ownerId]),
    hiddenFields: hiddenPaths(principal, kind),
  };
}
