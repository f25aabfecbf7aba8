import { kernelFacts } from '../../src/app/kernel-facts.js';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinPluginsDir, loadPlugins, PluginLoadError, readKernelVersion } from '../../src/plugin-host/load-plugins.js';
import { allMigrations, pluginEntities, pluginMigrations } from '../../src/plugin-host/plugin-migrations.js';
import { kernelMigrations } from '../../migrations/index.js';
import { MikroORM } from '@mikro-orm/core';
import { appOrmOptions } from '../../src/app/database.js';
import { loadConfig } from '../../src/config.js';
import type { SqlOrm } from '../support/harness.js';

const repo = resolve(fileURLToPath(import.meta.url), '../../..');
const fixtures = join(repo, 'test/fixtures/plugins');

/** Loads one fixture set as the built-in plugins; returns the refusal's problem lines. */
async function refusal(set: string, extra: string[] = []): Promise<string[]> {
  const error = await loadPlugins({ builtinDir: join(fixtures, set), extra, cwd: repo, kernel: kernelFacts() }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PluginLoadError);
  const problems = (error as PluginLoadError).problems;
  // the message lists every problem, one line each
  for (const line of problems) expect((error as Error).message).toContain(`\n  ${line}`);
  return problems;
}

describe('loadPlugins: start-up refuses bad plugins, naming the plugin', () => {
  it('missing dependency', async () => {
    expect(await refusal('missing-dependency')).toEqual(['lonely: depends on ghost ^1.0.0, which is not installed']);
  });

  it('dependency version range mismatch', async () => {
    expect(await refusal('dependency-version')).toEqual(['needs-new: depends on base ^2.0.0, but base is 1.2.0']);
  });

  it('kernel compatibility range mismatch', async () => {
    expect(await refusal('kernel-range')).toEqual([`future: needs kernel >=99.0.0, but this kernel is ${readKernelVersion()}`]);
  });

  it('dependency cycle, printed whole', async () => {
    expect(await refusal('cycle')).toEqual(['cyc-a: dependency cycle cyc-a → cyc-b → cyc-c → cyc-a']);
  });

  it('duplicate id', async () => {
    expect(await refusal('duplicate-id')).toEqual([
      'twin: duplicate plugin id, from test/fixtures/plugins/duplicate-id/one/plugin.ts and test/fixtures/plugins/duplicate-id/two/plugin.ts',
    ]);
  });

  it('clashing entity class names', async () => {
    expect(await refusal('entity-class-clash')).toEqual(['gadgets-b: entity class name Gadget is already used by gadgets-a']);
  });

  it('clashing table names, between plugins and with the kernel', async () => {
    expect(await refusal('table-clash')).toEqual(['notes-b: table plugin_note (entity NoteB) is already used by notes-a']);
    expect(await refusal('kernel-table-clash')).toEqual(['shadow: table contact (entity ContactShadow) is already used by kernel']);
  });

  it('clashing rule names, between plugins and with the kernel', async () => {
    expect(await refusal('rule-clash')).toEqual(['rules-b: Two rules declared for Query.widgets (already declared by rules-a)']);
    expect(await refusal('kernel-rule-clash')).toEqual(['hijack: Two rules declared for Query.contacts (already declared by kernel)']);
  });

  it('clashing GraphQL type names, between plugins and with the kernel', async () => {
    expect(await refusal('type-clash')).toEqual(['widgets-b: GraphQL type Widget is already defined by widgets-a']);
    expect(await refusal('kernel-type-clash')).toEqual(['tags: GraphQL type Tag is already defined by kernel']);
  });

  it('timeline entry types: not namespaced, or declared by two plugins', async () => {
    expect(await refusal('invalid-entry-type')).toEqual([
      'sloppy: timeline entry type "DealWon" is not namespaced (e.g. "deal.stageChanged")',
    ]);
    expect(await refusal('entry-type-clash')).toEqual(['deals-b: timeline entry type deal.won is already declared by deals-a']);
  });

  it('settings schema without defaults', async () => {
    const [line, ...rest] = await refusal('invalid-settings');
    expect(rest).toEqual([]);
    expect(line).toMatch(/^strict: settings schema must accept \{\} \(give every setting a default\): apiKey: /);
  });

  it('invalid id', async () => {
    expect(await refusal('invalid-id')).toEqual([
      'Bad_Id: id "Bad_Id" is invalid (lower-case letters, digits and dashes, e.g. "acme-loyalty"; not "kernel")',
    ]);
  });

  it('invalid version and kernel range', async () => {
    expect(await refusal('invalid-version')).toEqual([
      'sloppy: version "v1" is not a semver version (e.g. "1.0.0")',
      'sloppy: kernel compatibility range "one point oh" is not a semver range (e.g. "^1.0.0")',
    ]);
  });

  it('a module without a manifest, and a configured path with nothing there', async () => {
    expect(await refusal('no-manifest', ['./test/fixtures/plugins/nowhere'])).toEqual([
      'test/fixtures/plugins/no-manifest/empty/plugin.ts: exports no plugin manifest (a default export or an export named `plugin`, made with definePlugin)',
      './test/fixtures/plugins/nowhere: no plugin found at this path (a plugin.js / plugin.ts file, a folder holding one, or a package folder)',
    ]);
  });

  it('lists every problem of every plugin at once', async () => {
    const problems = await refusal('missing-dependency', [
      './test/fixtures/plugins/kernel-range/future',
      './test/fixtures/plugins/cycle/cyc-a',
    ]);
    expect(problems).toEqual([
      `future: needs kernel >=99.0.0, but this kernel is ${readKernelVersion()}`,
      'cyc-a: depends on cyc-b ^1.0.0, which is not installed',
      'lonely: depends on ghost ^1.0.0, which is not installed',
    ]);
  });
});

describe('loadPlugins: a good set', () => {
  const load = () =>
    loadPlugins({
      builtinDir: join(fixtures, 'good'),
      extra: ['./test/fixtures/plugins/third-party/acme-extra'],
      cwd: repo,
      kernel: kernelFacts(),
    });

  it('loads built-in and configured plugins in dependency order (ties by id)', async () => {
    const plugins = await load();
    expect(plugins.map((p) => [p.id, p.builtin])).toEqual([
      ['alpha', true],
      ['beta', true],
      ['aardvark', true],
      ['zeta', true],
      ['acme-extra', false],
    ]);
    expect(plugins.find((p) => p.id === 'beta')!.source).toBe('test/fixtures/plugins/good/beta/plugin.ts'); // `plugin` export
    expect(pluginEntities(plugins).map((e) => e.name)).toEqual(['AlphaWidget']);
  });

  it('migrations come out in dependency order, prefixed by plugin id, after the kernel’s', async () => {
    const plugins = await load();
    expect(pluginMigrations(plugins).map((m) => m.name)).toEqual([
      'alpha:Migration20261201000000AlphaWidgets',
      'alpha:Migration20261202000000AlphaLabels',
      'beta:Migration20261101000000Beta',
      'acme-extra:Migration20261001000000Acme',
    ]);
    const all = allMigrations(plugins);
    expect(all.slice(0, kernelMigrations.length)).toEqual(kernelMigrations);
    expect(all).toHaveLength(kernelMigrations.length + 4);
  });

  it('the real built-in plugins (plugins/) load', async () => {
    expect(builtinPluginsDir()).toBe(join(repo, 'plugins'));
    const plugins = await loadPlugins({ builtinDir: builtinPluginsDir(), kernel: kernelFacts() });
    expect(plugins.every((p) => p.builtin)).toBe(true);
  });

  it('a configured npm package name is imported by name', async () => {
    // zod is no plugin: the point is that a bare name goes through the package resolver
    expect(await refusal('good', ['zod'])).toEqual([
      'zod: exports no plugin manifest (a default export or an export named `plugin`, made with definePlugin)',
    ]);
  });
});

describe('plugin migrations and entities on a real (embedded) database', () => {
  it('run after the kernel’s, are tracked per plugin in the one migrations table, and register the entities', async () => {
    const plugins = await loadPlugins({
      builtinDir: join(fixtures, 'good'),
      extra: ['./test/fixtures/plugins/third-party/acme-extra'],
      cwd: repo,
      kernel: kernelFacts(),
    });
    const base = appOrmOptions({ pluginEntities: pluginEntities(plugins) });
    const orm = (await MikroORM.init({ ...base, migrations: { ...base.migrations, migrationsList: allMigrations(plugins) } })) as SqlOrm;
    try {
      const applied = (await orm.migrator.up()).map((m) => m.name);
      expect(applied).toEqual(allMigrations(plugins).map((m) => m.name));
      const rows = await orm.em
        .getConnection()
        .execute<{ name: string }[]>(`select name from mikro_orm_migrations where name like '%:%' order by id`);
      expect(rows.map((r) => r.name)).toEqual(pluginMigrations(plugins).map((m) => m.name));
      expect(orm.getMetadata().getByClassName('AlphaWidget', false)?.tableName).toBe('alpha_widget');
      const [rls] = await orm.em
        .getConnection()
        .execute<{ relrowsecurity: boolean }[]>(`select relrowsecurity from pg_class where relname = 'alpha_widget'`);
      expect(rls?.relrowsecurity).toBe(true);
      expect(await orm.migrator.up()).toEqual([]); // nothing pending on the next start
    } finally {
      await orm.close(true);
    }
  });
});

describe('PLUGINS setting', () => {
  it('is a comma-separated list of package names and paths, empty by default', () => {
    expect(loadConfig({}).PLUGINS).toEqual([]);
    expect(loadConfig({ PLUGINS: ' @acme/crm-loyalty, ./local/plugin ,' }).PLUGINS).toEqual(['@acme/crm-loyalty', './local/plugin']);
  });
});
