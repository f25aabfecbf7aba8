import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import pipeline from '../../plugins/pipeline/plugin.js';
import campaigns from '../../plugins/campaigns/plugin.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

/**
 * Hostile strings are refused centrally: every string the GraphQL API takes (arguments, variables, input fields, JSON
 * scalars) holding NUL, another control character or an unpaired surrogate gets BAD_USER_INPUT naming where it was,
 * before any resolver runs — found by walking every argument of every root field of the live schema (kernel and the
 * pipeline and campaigns plugins), not by a list of examples. CSV cells are checked per row instead (one bad cell rejects its row, the rest of the file imports).
 */
let server: TestServer;
let ws: TestWorkspace;
let schema: GraphQLSchema;

beforeAll(async () => {
  server = await startTestServer({ plugins: [pipeline, campaigns] });
  ws = await server.newWorkspace();
  const enabled = await ws.ok(`mutation { enableModule(input: { id: "campaigns" }) { module { enabled } userErrors { message } } }`);
  expect(enabled.enableModule.module.enabled).toBe(true);
  schema = buildClientSchema(await ws.ok(getIntrospectionQuery()));
});
afterAll(() => server.close());

const HOSTILE = 'x\u0000y';
const scalarSample: Record<string, unknown> = { Int: 1, Float: 1.5, Boolean: true };

/** A value of `type` whose string leaves are `text` (and only the first list element is filled). */
function sample(type: GraphQLInputType, text: string, depth = 0): unknown {
  if (isNonNullType(type)) return sample(type.ofType, text, depth);
  if (isListType(type)) return [sample(type.ofType, text, depth)];
  if (isEnumType(type)) return type.getValues()[0]!.value;
  if (isInputObjectType(type)) {
    if (depth > 4) return {};
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) value[field.name] = sample(field.type, text, depth + 1);
    return value;
  }
  if (isScalarType(type) && type.name in scalarSample) return scalarSample[type.name];
  if (isScalarType(type) && /json/i.test(type.name)) return { [`k`]: text };
  return text; // String, ID, DateTime, Date, EmailAddress, … all arrive as strings
}

/** Whether a value of `type` can hold a string leaf at all. */
function holdsText(type: GraphQLInputType, depth = 0): boolean {
  const named = getNamedType(type);
  if (isEnumType(named)) return false;
  if (isScalarType(named)) return !(named.name in scalarSample);
  if (depth > 4) return false;
  return Object.values(named.getFields()).some((f) => holdsText(f.type, depth + 1));
}

function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, args: readonly GraphQLArgument[]) {
  const vars = args.map((a, i) => `$a${i}: ${a.type.toString()}`).join(', ');
  const call = args.map((a, i) => `${a.name}: $a${i}`).join(', ');
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  return `${kind} Walk(${vars}) { ${field.name}(${call})${selection} }`;
}

const writtenRows = async () => {
  const tables = await server.orm.em
    .getConnection()
    .execute<{ table_name: string }[]>(
      `select table_name from information_schema.columns where table_schema = 'public' and column_name = 'workspace_id' order by table_name`,
    );
  let total = 0;
  for (const { table_name } of tables) total += await server.count(table_name, ws.id);
  return total;
};

describe('hostile strings', () => {
  it('refuses NUL in every string-bearing argument of every root field, before any resolver runs, writing nothing', async () => {
    const before = await writtenRows();
    const walked: string[] = [];
    const wrong: string[] = [];
    for (const kind of ['query', 'mutation'] as const) {
      const root = kind === 'query' ? schema.getQueryType() : schema.getMutationType();
      for (const field of Object.values(root!.getFields())) {
        const args = field.args;
        if (!args.some((a) => holdsText(a.type))) continue;
        const variables = Object.fromEntries(args.map((a, i) => [`a${i}`, sample(a.type, HOSTILE)]));
        const res = await ws.gql(operationFor(kind, field, args), variables);
        walked.push(field.name);
        const error = res.errors?.[0];
        if (error?.extensions?.code !== 'BAD_USER_INPUT' || error.extensions.disallowedCharacter !== 'U+0000' || res.data)
          wrong.push(`${field.name}: ${JSON.stringify(res).slice(0, 300)}`);
      }
    }
    expect(wrong).toEqual([]);
    // the walk covered the API: every kernel area has string arguments
    expect(walked.length).toBeGreaterThan(60);
    expect(walked).toEqual(expect.arrayContaining(['createContact', 'updateContact', 'contacts', 'search', 'importCsv', 'createDeal']));
    expect(await writtenRows()).toBe(before);
  });

  it('names the variable path of the one bad leaf, for each refused character; tab, line breaks and emoji pass', async () => {
    const create = `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id lastName } userErrors { field } } }`;
    for (const [text, code] of [
      ['a\u0000b', 'U+0000'],
      ['bell\u0007', 'U+0007'],
      ['\u001b[31m', 'U+001B'],
      ['del\u007f', 'U+007F'],
      ['c1\u0085', 'U+0085'],
      ['lone \ud800 surrogate', 'U+D800'],
      ['\udc00 low first', 'U+DC00'],
    ] as const) {
      const res = await ws.gql(create, { input: { firstName: 'Hostile', lastName: text } });
      expect(res.data ?? null).toBeNull();
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.lastName', disallowedCharacter: code });
    }
    const custom = await ws.gql(create, { input: { firstName: 'Hostile', customFields: { note: ['ok', 'bad\u0000'] } } });
    expect(custom.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.customFields.note.1' });
    expect(await server.count('contact', ws.id)).toBe(0);

    const fine = await ws.ok(create, { input: { firstName: 'Tab\tbed', lastName: 'Line\nbreak\r\n 🚀 ok' } });
    expect(fine.createContact.contact.lastName).toBe('Line\nbreak\r\n 🚀 ok');
  });

  it('refuses a hostile literal in the document itself (validated once per document)', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await ws.gql(`{ contacts(first: 5, filter: { query: "a\\u0000b" }) { nodes { id } } }`);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.query', disallowedCharacter: 'U+0000' });
    }
    const nested = await ws.gql(`mutation { createCompany(input: { name: "ok", domains: ["bad\\u0001.example"] }) { company { id } } }`);
    expect(nested.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.domains' });
    expect(await server.count('company', ws.id)).toBe(0);
  });

  it('imports a CSV whose one cell holds NUL: that row is rejected, the others import', async () => {
    const other = await server.newWorkspace();
    const res = await other.ok(
      `mutation($input: ImportCsvInput!) { importCsv(input: $input) { job { status createdCount failedCount errors(first: 10) { nodes { rowNumber field code message } } } userErrors { field } } }`,
      { input: { objectType: 'CONTACTS', csv: 'firstName,lastName\nAda,Lovelace\nBad,Nul\u0000Cell\nGrace,Hopper\n' } },
    );
    expect(res.importCsv.userErrors).toEqual([]);
    expect(res.importCsv.job).toMatchObject({ createdCount: 2, failedCount: 1 });
    expect(res.importCsv.job.errors.nodes).toEqual([
      { rowNumber: 3, field: 'lastName', code: 'BAD_USER_INPUT', message: 'U+0000 is not allowed in text' },
    ]);
    const names = await other.ok(`{ contacts(first: 10) { nodes { firstName } } }`);
    expect(names.contacts.nodes.map((n: { firstName: string }) => n.firstName).sort()).toEqual(['Ada', 'Grace']);
  });
});
