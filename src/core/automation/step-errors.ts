import { ErrorCode, InputRejected } from '../../graphql/errors.js';
import { parseGlobalId } from '../../graphql/global-id.js';

/** Refuses a step's parameter: `path` is the step's place in the definition plus the parameter (`definition.actions.0.teamId`). */
export function rejectStep(path: string, message: string, code = ErrorCode.BAD_USER_INPUT): never {
  throw new InputRejected([{ field: path.split('.'), message, code }]);
}

/** The raw id of a global id in the facts (null for anything else). */
export const rawIdOf = (value: unknown): string | null => (typeof value === 'string' ? (parseGlobalId(value)?.id ?? null) : null);
