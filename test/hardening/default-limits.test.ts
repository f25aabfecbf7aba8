import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { loadConfig } from '../../src/config.js';
import { buildAppSchema } from '../../src/app/schema.js';
import { armorOptions } from '../../src/http/hardening/armor.js';

/** The default limits admit what a front-end typically asks for, and every operation the test suite uses. */
const config = loadConfig({});
const armor = armorOptions(config);
let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildAppSchema();
});

/** Limit errors of a document under the default configuration ([] = accepted). */
function limitErrors(source: string): string[] {
  let document: DocumentNode;
  try {
    document = parse(source, armor.parseOptions);
  } catch (error) {
    return [(error as Error).message];
  }
  return validate(schema, document, [...specifiedRules, ...armor.validationRules]).map((e) => e.message);
}

describe('default operation limits', () => {
  it('are documented: depth 15, aliases 30, directives 50, tokens 5000, cost 500000', () => {
    expect(config).toMatchObject({
      GRAPHQL_MAX_DEPTH: 15,
      GRAPHQL_MAX_ALIASES: 30,
      GRAPHQL_MAX_DIRECTIVES: 50,
      GRAPHQL_MAX_TOKENS: 5000,
      GRAPHQL_MAX_COST: 500_000,
    });
    expect(() => loadConfig({ GRAPHQL_MAX_DEPTH: '-1' })).toThrow(/GRAPHQL_MAX_DEPTH/);
  });

  it('accept a contact list page of 100 (or 200) with company, owner, tags and recent activities', () => {
    const page = (n: number) => `query {
      contacts(first: ${n}, orderBy: [{ field: NAME, direction: ASC }]) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node {
          id name firstName lastName primaryEmail jobTitle lifecycleStage createdAt updatedAt
          owner { id name } tags { id name }
          company { id name owner { id name } }
          activities(first: 10) { hasMore nodes { id type subject occurredAt assignee { id name } } }
        } }
      }
    }`;
    expect(limitErrors(page(100))).toEqual([]);
    expect(limitErrors(page(200))).toEqual([]);
  });

  it('accept every operation in test/operations', () => {
    const dir = join(process.cwd(), 'test', 'operations');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.graphql'))) {
      const document = parse(readFileSync(join(dir, file), 'utf8'));
      const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
      for (const operation of document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
        const single: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] };
        // a document with unused fragments is invalid on its own; only the limits matter here
        const errors = validate(schema, single, armor.validationRules);
        expect({ file, operation: operation.name?.value, errors: errors.map((e) => e.message) }).toEqual({
          file,
          operation: operation.name?.value,
          errors: [],
        });
      }
    }
  });

  it('refuse a nested fan-out that would load hundreds of thousands of records', () => {
    const fanOut =
      '{ companies(first: 200) { nodes { id contacts(first: 50) { nodes { id activities(first: 20) { nodes { id subject } } } } } } }';
    expect(limitErrors(fanOut)).toEqual([expect.stringMatching(/^Query Cost limit of 500000 exceeded/)]);
  });
});
