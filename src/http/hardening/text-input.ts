import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  typeFromAST,
  type ASTVisitor,
  type GraphQLInputType,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { ErrorCode } from '../../graphql/errors.js';
import {
  codePointName,
  disallowedCharacter,
  disallowedInValue as inAnyValue,
  type DisallowedText as Offence,
} from '../../core/shared/text.js';

/**
 * One check of every string the GraphQL API accepts, before any resolver runs: a string holding a character that
 * PostgreSQL cannot store (NUL) or that has no business in CRM text (the other C0 and C1 control characters except
 * tab, line feed and carriage return; an unpaired UTF-16 surrogate, which would be stored as U+FFFD) is refused with
 * BAD_USER_INPUT naming where it was. Strings in literals are checked when the document is validated (once per
 * document: Apollo caches validated documents), variables when the operation is resolved; JSON scalars are walked
 * whole, keys included. Input fields that carry file contents (`ImportCsvInput.csv`) are left to their own
 * per-row check, so one bad cell rejects its row, not the file.
 */

/** Input fields not checked here: their owner checks the text piecewise. */
export const RAW_TEXT_FIELDS: ReadonlySet<string> = new Set(['ImportCsvInput.csv']);

export function disallowedTextError(path: string, code: number): GraphQLError {
  return new GraphQLError(
    `${path}: ${codePointName(code)} is not allowed in text (control characters other than tab, line feed and carriage return, and unpaired surrogates)`,
    { extensions: { code: ErrorCode.BAD_USER_INPUT, field: path, disallowedCharacter: codePointName(code), http: { status: 400 } } },
  );
}

/** A variable's value walked along its declared type (so exempt input fields are known). */
function inTypedValue(value: unknown, type: GraphQLInputType, path: string): Offence | null {
  if (value === null || value === undefined) return null;
  if (isNonNullType(type)) return inTypedValue(value, type.ofType, path);
  if (isListType(type)) {
    if (!Array.isArray(value)) return inTypedValue(value, type.ofType, path);
    for (const [i, item] of value.entries()) {
      const found = inTypedValue(item, type.ofType, `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object' || Array.isArray(value)) return inAnyValue(value, path);
    const fields = type.getFields();
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (RAW_TEXT_FIELDS.has(`${type.name}.${key}`)) continue;
      const field = fields[key];
      const found = field ? inTypedValue(item, field.type, `${path}.${key}`) : inAnyValue(item, `${path}.${key}`);
      if (found) return found;
    }
    return null;
  }
  if (isEnumType(type)) return null;
  return inAnyValue(value, path);
}

/** The request's variables, each along the type its operation declares. */
export function disallowedInVariables(
  schema: GraphQLSchema,
  definitions: readonly { variable: { name: { value: string } }; type: Parameters<typeof typeFromAST>[1] }[],
  variables: Record<string, unknown> | undefined,
): Offence | null {
  if (!variables) return null;
  for (const definition of definitions) {
    const name = definition.variable.name.value;
    if (!(name in variables)) continue;
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    const found = type ? inTypedValue(variables[name], type, name) : inAnyValue(variables[name], name);
    if (found) return found;
  }
  return null;
}

/** Refuses string literals of the document (arguments, input object fields, directive arguments). */
export const textLiteralsRule: ValidationRule = (context: ValidationContext): ASTVisitor => {
  const path: string[] = [];
  return {
    Argument: {
      enter: (node) => void path.push(node.name.value),
      leave: () => void path.pop(),
    },
    ObjectField: {
      enter(node) {
        const parent = context.getParentInputType();
        const named = parent && (isNonNullType(parent) || isListType(parent) ? null : parent);
        if (named && isInputObjectType(named) && RAW_TEXT_FIELDS.has(`${named.name}.${node.name.value}`)) return false;
        path.push(node.name.value);
        return undefined;
      },
      leave: () => void path.pop(),
    },
    StringValue(node) {
      const code = disallowedCharacter(node.value);
      if (code !== null) context.reportError(disallowedTextError(path.join('.') || 'query', code));
    },
  };
};

/**
 * Refuses variables holding a disallowed character, once the operation is known (before any resolver), and gives a
 * refused literal back its BAD_USER_INPUT (Apollo files validation errors under GRAPHQL_VALIDATION_FAILED).
 */
export const textInputPlugin: ApolloServerPlugin<object> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ schema, operation, request }) {
        const found = disallowedInVariables(schema, operation?.variableDefinitions ?? [], request.variables ?? undefined);
        if (found) throw disallowedTextError(found.path, found.code);
      },
      async didEncounterErrors({ errors }) {
        for (const error of errors) if (error.extensions?.disallowedCharacter) error.extensions.code = ErrorCode.BAD_USER_INPUT;
      },
    };
  },
};
