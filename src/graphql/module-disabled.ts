import { GraphQLError } from 'graphql';
import { ErrorCode } from './errors.js';
import type { ContributionIndex } from './schema-diff.js';

/**
 * Validation errors about what an installed but disabled plugin contributes, told apart from typos: a field, type
 * or enum value that the caller's schema lacks but an installed plugin outside its enabled set adds is answered with
 * `extensions.code = MODULE_DISABLED` and `extensions.module = <plugin id>`, and a message naming the module. Anything
 * else (a misspelled field, a plugin the caller has enabled) stays as graphql-js reported it.
 */

// graphql-js 16's wording (FieldsOnCorrectTypeRule, KnownTypeNamesRule, ValuesOfCorrectTypeRule), suggestions after it
const UNKNOWN_FIELD = /^Cannot query field "([^"]+)" on type "([^"]+)"\./;
const UNKNOWN_TYPE = /^Unknown type "([^"]+)"\./;
const UNKNOWN_ENUM_VALUE = /^Value "([^"]+)" does not exist in "([^"]+)" enum\./;

export interface DisabledModule {
  /** The plugin id. */
  module: string;
  message: string;
}

/** Whether the message could be about a disabled module's contribution (before the index is looked at). */
export const mayBeModuleError = (message: string): boolean =>
  UNKNOWN_FIELD.test(message) || UNKNOWN_TYPE.test(message) || UNKNOWN_ENUM_VALUE.test(message);

/**
 * The disabled module a validation message is about, with the message to answer instead; undefined when the
 * message is not about something an installed plugin outside `enabled` contributes.
 * `describe`: a plugin's display name and id, e.g. `Pipeline (pipeline)`.
 */
export function disabledModuleOf(
  message: string,
  enabled: ReadonlySet<string>,
  index: ContributionIndex,
  describe: (id: string) => string,
): DisabledModule | undefined {
  const disabled = (id: string | undefined) => (id && !enabled.has(id) ? id : undefined);
  const tail = (id: string) => `belongs to the module ${describe(id)}, which is not enabled in this workspace.`;
  let match = UNKNOWN_FIELD.exec(message);
  if (match) {
    const [, field, type] = match as unknown as [string, string, string];
    const id = disabled(index.fieldOwner(type, field));
    return id ? { module: id, message: `Cannot query field "${field}" on type "${type}": it ${tail(id)}` } : undefined;
  }
  match = UNKNOWN_TYPE.exec(message);
  if (match) {
    const id = disabled(index.typeOwner(match[1]!));
    return id ? { module: id, message: `Unknown type "${match[1]}": it ${tail(id)}` } : undefined;
  }
  match = UNKNOWN_ENUM_VALUE.exec(message);
  if (match) {
    const [, value, type] = match as unknown as [string, string, string];
    const id = disabled(index.enumValueOwner(type, value));
    return id ? { module: id, message: `Value "${value}" of enum "${type}" ${tail(id)}` } : undefined;
  }
  return undefined;
}

/** `errors` with those about disabled modules replaced by MODULE_DISABLED errors (same locations). */
export function withModuleErrors(
  errors: readonly GraphQLError[],
  enabled: ReadonlySet<string>,
  index: ContributionIndex,
  describe: (id: string) => string,
): GraphQLError[] {
  return errors.map((error) => {
    const found = disabledModuleOf(error.message, enabled, index, describe);
    if (!found) return error;
    return new GraphQLError(found.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      extensions: { ...error.extensions, code: ErrorCode.MODULE_DISABLED, module: found.module },
    });
  });
}
