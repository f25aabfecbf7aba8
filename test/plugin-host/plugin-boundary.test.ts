import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boundaryViolations, importSpecifiers, scanBoundary, sourceFiles } from './import-boundary.js';

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
