import { readdirSync, readFileSync } from 'node:fs';
import { buildSchema, extendSchema, lexicographicSortSchema, parse, printSchema, validate } from 'graphql';
import { schemaFiles, loadBuiltinPlugins } from '../../src/app/schema-files.js';
import { buildWorkspaceSchema } from '../../src/app/schema-cache.js';

const root = new URL('../../', import.meta.url);
const committed = (path: string) => {
  try {
    return readFileSync(new URL(path, root), 'utf8');
  } catch {
    return `(${path} is missing)`;
  }
};

let files: Map<string, string>;
beforeAll(async () => {
  files = await schemaFiles();
});

describe('schema snapshot', () => {
  it('writes the full schema, the kernel and one file per built-in plugin', async () => {
    const plugins = await loadBuiltinPlugins();
    expect(plugins.map((p) => p.id)).toContain('pipeline');
    expect([...files.keys()]).toEqual([
      'schema/kernel.graphql',
      ...plugins.map((p) => `schema/plugins/${p.id}.graphql`).sort(),
      'schema/schema.graphql',
    ]);
    // no file left behind by a plugin that is gone
    const onDisk = readdirSync(new URL('schema/plugins/', root)).map((name) => `schema/plugins/${name}`);
    expect(onDisk.sort()).toEqual([...files.keys()].filter((path) => path.startsWith('schema/plugins/')));
  });

  it('every file under schema/ matches what the code builds (run `npm run schema` after changing the API)', () => {
    const stale = [...files].filter(([path, sdl]) => committed(path) !== sdl).map(([path]) => path);
    if (stale.length)
      throw new Error(
        `${stale.join(', ')} ${stale.length === 1 ? 'differs' : 'differ'} from the schema the code builds: run \`npm run schema\` and commit the result`,
      );
    for (const [path, sdl] of files) expect(committed(path)).toBe(sdl);
  });

  it('the full schema is the kernel extended by each plugin file, and what a workspace with every built-in plugin is served', async () => {
    let extended = buildSchema(files.get('schema/kernel.graphql')!);
    for (const [path, sdl] of files) if (path.startsWith('schema/plugins/')) extended = extendSchema(extended, parse(sdl));
    expect(`${printSchema(lexicographicSortSchema(extended))}\n`).toBe(files.get('schema/schema.graphql'));
    const plugins = await loadBuiltinPlugins();
    const served = await buildWorkspaceSchema(
      plugins.map((p) => ({
        id: p.id,
        resolvers: p.manifest.resolvers,
        rules: p.manifest.rules,
        searchProviders: p.manifest.searchProviders,
      })),
    );
    expect(`${printSchema(lexicographicSortSchema(served))}\n`).toBe(files.get('schema/schema.graphql'));
    // a pipeline type is in the full schema and its file, not in the kernel's
    expect(files.get('schema/schema.graphql')).toMatch(/^type Deal implements Node \{/m);
    expect(files.get('schema/plugins/pipeline.graphql')).toMatch(/^type Deal implements Node \{/m);
    expect(files.get('schema/plugins/pipeline.graphql')).toMatch(/^extend type Query \{[^}]*\n {2}deals\(/m);
    expect(files.get('schema/kernel.graphql')).not.toMatch(/^type Deal\b/m);
  });
});

describe('README', () => {
  it('shows only GraphQL examples that validate against the full schema (kernel + the built-in plugins, enabled by default)', async () => {
    const schema = buildSchema(files.get('schema/schema.graphql')!);
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split(/\n(?=\{|mutation)/));
    expect(examples.length).toBeGreaterThan(4);
    for (const example of examples) {
      const document = parse(example.replace(/"<[^>]+>"/g, '"placeholder"'));
      expect(validate(schema, document).map((e) => e.message)).toEqual([]);
    }
  });
});
