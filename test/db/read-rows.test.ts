import { parseTimestamp } from '../../src/db/read-rows.js';

describe('parseTimestamp', () => {
  it.each([
    ['2026-11-23 14:05:09.123456+00', '2026-11-23T14:05:09.123Z'],
    ['2026-11-23 14:05:09+00', '2026-11-23T14:05:09.000Z'],
    ['2026-11-23 14:05:09.5+02', '2026-11-23T12:05:09.500Z'],
    ['2026-01-01 00:30:00.001-05:30', '2026-01-01T06:00:00.001Z'],
    ['1999-12-31 23:59:59.999999+00', '1999-12-31T23:59:59.999Z'],
  ])('reads %s as PostgreSQL means it', (text, iso) => {
    expect(parseTimestamp(text).toISOString()).toBe(iso);
  });

  it('matches the generic parser on the text form PostgreSQL prints', () => {
    const text = '2024-02-29 08:15:30.250+00';
    expect(parseTimestamp(text).getTime()).toBe(new Date('2024-02-29T08:15:30.250Z').getTime());
  });
});
