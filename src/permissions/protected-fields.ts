/**
 * Fields that roles and API keys can hide with a field allowlist. A hidden field resolves to null with a
 * FORBIDDEN error at its path (so these fields are nullable in the schema), and the filters and sort keys that
 * read it are refused, so its value cannot be probed.
 */
export interface ProtectedField {
  type: string;
  field: string;
  /** Keys of the list's `filter` input that read this field. */
  filterKeys?: string[];
  /** Values of the list's sort-field enum that read this field (`customField` sort when `customSort`). */
  sortFields?: string[];
  customSort?: boolean;
  /** Search matches on this field (e.g. phone digits) are skipped when it is hidden. */
  searchKey?: string;
}

export class ProtectedFieldRegistry {
  readonly #byType = new Map<string, Map<string, ProtectedField>>();

  register(...fields: ProtectedField[]): void {
    for (const field of fields) {
      const byField = this.#byType.get(field.type) ?? new Map<string, ProtectedField>();
      if (byField.has(field.field)) throw new Error(`Protected field ${field.type}.${field.field} is registered twice`);
      byField.set(field.field, field);
      this.#byType.set(field.type, byField);
    }
  }

  of(type: string): ProtectedField[] {
    return [...(this.#byType.get(type)?.values() ?? [])];
  }

  get(type: string, field: string): ProtectedField | undefined {
    return this.#byType.get(type)?.get(field);
  }

  types(): string[] {
    return [...this.#byType.keys()];
  }

  all(): ProtectedField[] {
    return [...this.#byType.values()].flatMap((m) => [...m.values()]);
  }
}

export const protectedFields = new ProtectedFieldRegistry();

protectedFields.register(
  { type: 'Contact', field: 'emails', filterKeys: ['email'], sortFields: ['EMAIL'], searchKey: 'email' },
  { type: 'Contact', field: 'primaryEmail', filterKeys: ['email'], sortFields: ['EMAIL'], searchKey: 'email' },
  { type: 'Contact', field: 'phones', searchKey: 'phone' },
  { type: 'Contact', field: 'address' },
  { type: 'Contact', field: 'customFields', filterKeys: ['custom'], customSort: true },
  { type: 'Company', field: 'annualRevenue', filterKeys: ['annualRevenue'], sortFields: ['ANNUAL_REVENUE'] },
  { type: 'Company', field: 'employeeCount', filterKeys: ['employeeCount'], sortFields: ['EMPLOYEE_COUNT'] },
  { type: 'Company', field: 'phones', searchKey: 'phone' },
  { type: 'Company', field: 'address' },
  { type: 'Company', field: 'customFields', filterKeys: ['custom'], customSort: true },
);

/** The kernel's own protected fields, as `Type.field` (taken before any plugin registers). */
export const kernelProtectedFieldNames: ReadonlySet<string> = new Set(protectedFields.all().map((f) => `${f.type}.${f.field}`));
