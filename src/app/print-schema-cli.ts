import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { schemaFiles } from './schema-files.js';

// the schema files under schema/ (full schema, kernel, one per built-in plugin), written under the given root
const root = process.argv[2] ?? '.';
for (const [path, sdl] of await schemaFiles()) {
  const target = join(root, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, sdl);
  console.log(`wrote ${target}`);
}
