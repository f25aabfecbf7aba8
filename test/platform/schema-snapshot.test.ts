import { readFileSync } from 'node:fs';
import { buildAppSchema, printAppSchema } from '../../src/graphql/schema.js';

describe('schema snapshot', () => {
  it('schema/schema.graphql matches the schema the code builds (run `npm run schema` after changing the API)', async () => {
    const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(printAppSchema(await buildAppSchema())).toBe(committed);
  });
});

describe('README', () => {
  it('shows only GraphQL examples that validate against the schema (kernel + the built-in plugins, enabled by default)', async () => {
    const { parse, validate } = await import('graphql');
    const { builtinPluginsDir, loadPlugins } = await import('../../src/plugin-host/load-plugins.js');
    const { registerPluginPermissions } = await import('../../src/plugin-host/app-registries.js');
    const plugins = await loadPlugins({ builtinDir: builtinPluginsDir() });
    registerPluginPermissions(plugins.map((p) => p.manifest));
    const schema = await buildAppSchema(
      plugins.flatMap((p) => p.manifest.resolvers ?? []),
      plugins.flatMap((p) => (p.manifest.rules ? [p.manifest.rules] : [])),
      plugins.flatMap((p) => (p.manifest.searchProviders ?? []).map((provider) => provider.key)),
    );
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split(/\n(?=\{|mutation)/));
    expect(examples.length).toBeGreaterThan(4);
    for (const example of examples) {
      const document = parse(example.replace(/"<[^>]+>"/g, '"placeholder"'));
      expect(validate(schema, document).map((e) => e.message)).toEqual([]);
    }
  });
});
