import { readFileSync } from 'node:fs';
import { buildAppSchema, printAppSchema } from '../../src/graphql/schema.js';

describe('schema snapshot', () => {
  it('schema/schema.graphql matches the schema the code builds (run `npm run schema` after changing the API)', async () => {
    const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(printAppSchema(await buildAppSchema())).toBe(committed);
  });
});
