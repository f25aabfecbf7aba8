import { ErrorCode, InputRejected } from './errors.js';

/** Record ids are uuids. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque global id: base64url of `Type:uuid`. */
export function toGlobalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

export function parseGlobalId(globalId: string): { type: string; id: string } | null {
  if (typeof globalId !== 'string' || globalId.length > 200) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep <= 0) return null;
  const type = decoded.slice(0, sep);
  const id = decoded.slice(sep + 1);
  if (!UUID.test(id) || !/^[A-Za-z][A-Za-z0-9]*$/.test(type)) return null;
  return { type, id: id.toLowerCase() };
}

/** Decodes a global id of one of the expected types, or rejects the input naming `field`. */
export function expectGlobalId(globalId: string, expected: string | string[], field: string): string {
  return expectTypedGlobalId(globalId, expected, field).id;
}

export function expectTypedGlobalId(globalId: string, expected: string | string[], field: string): { type: string; id: string } {
  const types = Array.isArray(expected) ? expected : [expected];
  const parsed = parseGlobalId(globalId);
  if (!parsed || !types.includes(parsed.type)) {
    throw InputRejected.one(field, `is not a valid ${types.join(' or ')} id`, ErrorCode.BAD_USER_INPUT);
  }
  return parsed;
}
