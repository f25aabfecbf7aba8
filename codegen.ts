import type { CodegenConfig } from '@graphql-codegen/cli';

const scalars = { DateTimeISO: 'string', JSON: 'any', SafeInt: 'number' };

/**
 * Two targets:
 * - test/generated/graphql.ts: typed documents for the operations in test/operations (the test suite's client). They
 *   query the kernel only (test servers install no plugin unless a test says so), hence the kernel schema.
 * - client/generated/: the typed client for front-end teams (client-preset: a `graphql()` function returning typed
 *   documents, fragment masking), from the full schema (kernel + every built-in plugin). Documents: the `graphql(...)`
 *   calls in client/*.ts (client/operations.ts is the example). test/platform/client-codegen.test.ts checks that
 *   the committed output is what this config generates.
 */
const config: CodegenConfig = {
  generates: {
    'test/generated/graphql.ts': {
      schema: 'schema/kernel.graphql',
      documents: ['test/operations/**/*.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config: { useTypeImports: true, scalars, enumsAsTypes: true },
    },
    'client/generated/': {
      schema: 'schema/schema.graphql',
      documents: ['client/**/*.ts', '!client/generated/**'],
      preset: 'client',
      presetConfig: { fragmentMasking: { unmaskFunctionName: 'useFragment' } },
      config: { useTypeImports: true, scalars, enumsAsTypes: true, emitLegacyCommonJSImports: false },
    },
  },
};
export default config;
