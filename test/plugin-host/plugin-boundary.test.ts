import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MetadataStorage } from '@mikro-orm/core';
import {
  boundaryViolations,
  importSpecifiers,
  kernelTableReferences,
  scanBoundary,
  scanKernelSql,
  sourceFiles,
  stringLiterals,
} from './import-boundary.js';
import { kernelEntities } from '../../src/app/kernel-entities.js';
import { entityNames } from '../../src/plugin-host/entity-names.js';

const repo = resolve(fileURLToPath(import.meta.url), '../../..');
/** Where plugin code lives: built-in plugins, test fixtures, examples of third-party plugins. */
const pluginDirs = ['plugins', 'test/fixtures/plugins', 'examples'].map((d) => join(repo, d));

describe('plugin import boundary: plugins import from src/ only through src/sdk', () => {
  it('no file under plugins/, test/fixtures/plugins/ or examples/ imports kernel internals', () => {
    expect(sourceFiles(join(repo, 'test/fixtures/plugins')).length).toBeGreaterThan(10); // the walk does find files
    expect(scanBoundary(pluginDirs, repo)).toEqual([]);
  });

  describe('the detector', () => {
    const file = join(repo, 'plugins/loyalty/graphql/loyalty.resolver.ts');

    it('flags relative paths into src/ other than src/sdk, in every import form', () => {
      const sample = [
        `import { runMutation } from '../../../src/core/shared/mutation.js';`,
        `import type { RequestContext } from "../../../src/graphql/context.js";`,
        `export { sql } from '../../../src/db/sql.js';`,
        `import '../../../src/core/entities.js';`,
        `const lazy = await import('../../../src/server.js');`,
        `import x from '../../../src';`,
        `import { definePlugin } from '../../../src/sdk/index.js';`,
        `import { z } from 'zod';`,
        `import { helper } from '../lib/helper.js';`,
        `import { other } from '../../../src/sdk-extras/x.js';`,
      ].join('\n');
      expect(boundaryViolations(sample, file, repo)).toEqual([
        '../../../src/core/shared/mutation.js',
        '../../../src/graphql/context.js',
        '../../../src/db/sql.js',
        '../../../src/core/entities.js',
        '../../../src/server.js',
        '../../../src',
        '../../../src/sdk-extras/x.js',
      ]);
    });

    it('accepts the SDK, packages and the plugin’s own files', () => {
      const sample = `import { definePlugin } from '../../../src/sdk/index.js';\nimport { Entity } from '@mikro-orm/decorators/legacy';\nimport { A } from './a.js';`;
      expect(importSpecifiers(sample)).toHaveLength(3);
      expect(boundaryViolations(sample, file, repo)).toEqual([]);
    });
  });
});

/**
 * The kernel's tables, from its entities' metadata (decorators): each entity's table and the pivot tables of its
 * many-to-many relations (`contact_tag` …). No hand-kept list: a new kernel entity is covered at once.
 */
function kernelTables(): Set<string> {
  const tables = new Set<string>();
  for (const entity of kernelEntities) {
    tables.add(entityNames(entity).tableName);
    const meta = (entity as unknown as Record<symbol, { properties?: Record<string, { pivotTable?: string }> }>)[
      MetadataStorage.META_SYMBOL
    ];
    for (const prop of Object.values(meta?.properties ?? {})) if (prop.pivotTable) tables.add(prop.pivotTable);
  }
  return tables;
}

describe('kernel tables are the kernel’s: plugin code names none of them in SQL', () => {
  const tables = kernelTables();

  it('reads the kernel tables from the entity metadata', () => {
    for (const t of [
      'contact',
      'company',
      'activity',
      'timeline_link',
      'timeline_event',
      'custom_field_definition',
      'contact_tag',
      'company_tag',
      'outbox_delivery',
      'installed_plugin',
      'workspace_module',
      'workspace',
      'app_user',
      'membership',
    ]) {
      expect([t, tables.has(t)]).toEqual([t, true]);
    }
  });

  it('no string literal under plugins/, test/fixtures/plugins/ or examples/ names a kernel table (migrations: foreign keys only)', () => {
    expect(scanKernelSql(pluginDirs, repo, tables)).toEqual([]);
  });

  it('the detector flags a plugin that does (fixture), and only where SQL names the table', () => {
    expect(scanKernelSql([join(repo, 'test/fixtures/kernel-sql')], repo, tables)).toEqual([
      'test/fixtures/kernel-sql/bad-plugin/migrations/Migration1Bad.ts names kernel table contact',
      'test/fixtures/kernel-sql/bad-plugin/plugin.ts names kernel table activity',
      'test/fixtures/kernel-sql/bad-plugin/plugin.ts names kernel table company',
      'test/fixtures/kernel-sql/bad-plugin/plugin.ts names kernel table contact',
      'test/fixtures/kernel-sql/bad-plugin/plugin.ts names kernel table custom_field_definition',
      'test/fixtures/kernel-sql/bad-plugin/plugin.ts names kernel table timeline_link',
    ]);
  });

  it('string literals: quotes, templates with placeholders (and literals inside them), no comments', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text under test contains a template literal
    const source = "// 'not this'\nconst a = 'one'; /* \"nor this\" */ const b = `two ${x ? 'three' : `four ${y}`} five`;";
    expect(stringLiterals(source)).toEqual(['one', 'three', 'four ?', 'two ? five']);
    expect(kernelTableReferences('select * from deal d join contact c on c.id = d.contact_id', tables)).toEqual(['contact']);
    expect(kernelTableReferences('insert into deal (id) values (?)', tables)).toEqual([]);
    expect(kernelTableReferences('foreign key ("workspace_id") references "workspace" ("id")', tables, true)).toEqual([]);
    expect(kernelTableReferences('alter table "deal" add foreign key ("workspace_id") references "workspace" ("id")', tables)).toEqual([]);
    expect(kernelTableReferences('select 1 where exists (select 1 from deal) -- references "workspace"', tables)).toEqual(['workspace']);
    expect(kernelTableReferences('contact', tables)).toEqual([]); // a word, not necessarily a table
  });
});
