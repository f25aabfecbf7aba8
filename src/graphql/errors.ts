import { GraphQLError } from 'graphql';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

/** Machine-readable codes carried in `extensions.code` of every error and in `userErrors[].code`. */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  CONFLICT = 'CONFLICT',
  MODULE_DISABLED = 'MODULE_DISABLED',
  RATE_LIMITED = 'RATE_LIMITED',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}
registerEnumType(ErrorCode, { name: 'ErrorCode', description: 'Machine-readable error code.' });

@ObjectType({ description: 'A validation failure tied to an input field. `field` is the path inside `input`.' })
export class UserError {
  @Field(() => [String])
  field!: string[];

  @Field()
  message!: string;

  @Field(() => ErrorCode)
  code!: ErrorCode;
}

export function userError(field: string | string[], message: string, code: ErrorCode = ErrorCode.BAD_USER_INPUT): UserError {
  return Object.assign(new UserError(), { field: Array.isArray(field) ? field : field.split('.'), message, code });
}

/**
 * Thrown by services when input is rejected. Mutations turn it into `userErrors` after the transaction
 * has rolled back; queries turn it into a GraphQL error with the first error's code.
 */
export class InputRejected extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => `${e.field.join('.')}: ${e.message}`).join('; '));
  }

  static one(field: string | string[], message: string, code: ErrorCode = ErrorCode.BAD_USER_INPUT): InputRejected {
    return new InputRejected([userError(field, message, code)]);
  }
}

export function graphqlError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const notFound = (what: string) => graphqlError(ErrorCode.NOT_FOUND, `${what} not found`);
export const badInput = (message: string, field?: string) => graphqlError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
