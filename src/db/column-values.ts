/**
 * Values of rows from raw `execute` calls, whichever driver returned them: PostgreSQL's and PGlite's give jsonb and
 * timestamps either parsed or as text.
 */
export const jsonValue = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;
export const dateValue = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));
export const dateOrNull = (value: unknown): Date | null => (value == null ? null : dateValue(value));
