import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents for the operations in test/operations (the test suite's client). */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  generates: {
    'test/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: { useTypeImports: true, scalars: { DateTimeISO: 'string', JSON: 'any', SafeInt: 'number' }, enumsAsTypes: true },
    },
  },
};
export default config;
