import { FIELD_SPECS } from '../../src/core/import-export/import-fields.js';

/** The import's plain-function cell checks must say exactly what their zod schemas say. */
const SAMPLES = [
  '',
  ' ',
  'Ada',
  '  Ada Lovelace  ',
  'x'.repeat(400),
  'ADA@Example.com',
  'not-an-email',
  'a@b',
  '+49 30 1234567',
  '030-123',
  '12',
  '555 123 4567 ext 12',
  'yes',
  'No',
  '1',
  'maybe',
  'customer',
  'Sales qualified',
  'CHURNED',
  'unknown stage',
  'de',
  'DEU',
  '42',
  '-1',
  '3.5',
  'acme.com',
  'https://www.acme.com/x',
];

describe('import cell checks', () => {
  for (const [kind, specs] of Object.entries(FIELD_SPECS)) {
    for (const [field, spec] of Object.entries(specs)) {
      if (!spec.check) continue;
      it(`${kind}.${field} agrees with its schema`, () => {
        for (const sample of SAMPLES) {
          const parsed = spec.schema.safeParse(sample);
          const checked = spec.check!(sample);
          if (parsed.success) expect([sample, checked]).toEqual([sample, { value: parsed.data }]);
          else expect([sample, 'error' in checked ? checked.error : checked]).toEqual([sample, parsed.error.issues[0]!.message]);
        }
      });
    }
  }
});
