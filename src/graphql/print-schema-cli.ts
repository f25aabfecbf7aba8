import { writeFileSync } from 'node:fs';
import { buildAppSchema, printAppSchema } from './schema.js';

const target = process.argv[2] ?? 'schema/schema.graphql';
writeFileSync(target, printAppSchema(await buildAppSchema()));
console.log(`wrote ${target}`);
