import { Readable } from 'node:stream';
import {
  ImportCsvDocument,
  ImportDefineFieldDocument,
  ImportedCompaniesDocument,
  ImportedContactsDocument,
  ImportJobDocument,
  ImportJobsDocument,
} from '../generated/graphql.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { importCsvStream } from '../../src/core/import-export/import-engine.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function upload(ws: TestWorkspace, objectType: string, csv: string | Readable, query: Record<string, string> = {}) {
  const qs = new URLSearchParams(query).toString();
  const response = await server.app.http.inject({
    method: 'POST',
    url: `/imports/${objectType}${qs ? `?${qs}` : ''}`,
    headers: { ...ws.headers, 'content-type': 'text/csv' },
    payload: csv,
  });
  return { status: response.statusCode, body: response.json() };
}

async function download(ws: TestWorkspace, file: string, filter?: unknown) {
  const qs = filter ? `?filter=${encodeURIComponent(JSON.stringify(filter))}` : '';
  const response = await server.app.http.inject({ method: 'GET', url: `/exports/${file}${qs}`, headers: ws.headers });
  return { status: response.statusCode, body: response.body, type: response.headers['content-type'] };
}

const contacts = async (ws: TestWorkspace) => (await ws.ok(ImportedContactsDocument, {})).contacts.nodes;

describe('CSV import over HTTP', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await server.newWorkspace();
    const field = await ws.ok(ImportDefineFieldDocument, {
      input: {
        objectType: 'Contact',
        key: 'region',
        label: 'Region',
        type: 'SELECT',
        options: [
          { value: 'emea', label: 'EMEA' },
          { value: 'apac', label: 'APAC' },
        ],
      },
    });
    expect(field.createCustomField.userErrors).toEqual([]);
  });

  it('imports contacts by header names, linking (and creating) companies and tags', async () => {
    const csv = [
      'First Name,last_name,Email,Phone,Company,Job Title,Lifecycle Stage,Tags,custom.region,Ignored Column',
      'Ada,Lovelace,ADA@Example.com,+44 20 7946 0000,Analytical Engines,Countess,customer,vip;math,emea,x',
      'Grace,Hopper,grace@navy.test,,navy.test,Rear Admiral,,vip,apac,y',
    ].join('\n');
    const { status, body } = await upload(ws, 'contacts', csv);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'COMPLETED',
      objectType: 'contacts',
      processedRows: 2,
      createdCount: 2,
      updatedCount: 0,
      failedCount: 0,
    });
    expect(typeof body.id).toBe('string');

    const [ada, grace] = await contacts(ws);
    expect(ada).toMatchObject({
      firstName: 'Ada',
      lastName: 'Lovelace',
      primaryEmail: 'ada@example.com',
      phones: [{ number: '+44 20 7946 0000' }],
      jobTitle: 'Countess',
      lifecycleStage: 'CUSTOMER',
      customFields: { region: 'emea' },
      version: 1,
      company: { name: 'Analytical Engines', domains: [] },
    });
    expect(ada!.tags.map((t: any) => t.name)).toEqual(['math', 'vip']);
    expect(grace).toMatchObject({
      lifecycleStage: 'LEAD',
      company: { name: 'navy.test', domains: ['navy.test'] },
      tags: [{ name: 'vip' }],
    });
    expect(await server.count('company', ws.id)).toBe(2);
    expect(await server.count('tag', ws.id)).toBe(2);
  });

  it('upserts by email: importing the same address again updates, never duplicates (also inside one file)', async () => {
    const before = await server.count('contact', ws.id);
    const { body } = await upload(
      ws,
      'contacts',
      'email,jobTitle,company\nada@example.com,Mathematician,Analytical Engines\nnew@example.com,Intern,\nnew@example.com,Engineer,\n',
    );
    expect(body).toMatchObject({ processedRows: 3, createdCount: 1, updatedCount: 1, failedCount: 0 });
    expect(await server.count('contact', ws.id)).toBe(before + 1);
    expect(await server.count('company', ws.id)).toBe(2);
    const all = await contacts(ws);
    expect(all.find((c: any) => c.primaryEmail === 'ada@example.com')).toMatchObject({
      jobTitle: 'Mathematician',
      firstName: 'Ada',
      version: 2,
    });
    expect(all.find((c: any) => c.primaryEmail === 'new@example.com')).toMatchObject({ jobTitle: 'Engineer', version: 1 });

    const again = await upload(ws, 'contacts', 'email,jobTitle\nada@example.com,Mathematician\n');
    expect(again.body).toMatchObject({ processedRows: 1, createdCount: 0, updatedCount: 0 });
    expect((await contacts(ws)).find((c: any) => c.primaryEmail === 'ada@example.com')?.version).toBe(2);
  });

  it('imports the good rows and reports each bad one with its row number and field', async () => {
    const before = await server.count('contact', ws.id);
    const csv = [
      'firstName,email,custom.region,custom.nope',
      'Good,good1@example.com,emea,', // row 2
      'Bad,not-an-email,,', // row 3
      'Short,short@example.com', // row 4: wrong column count
      'Unknown,unknown@example.com,,surprise', // row 5: unknown custom field
      'Wrong,wrong@example.com,mars,', // row 6: not an option
      'Good,good2@example.com,,', // row 7
      'Broken,"never closed,,', // row 8: unclosed quote swallows the rest
    ].join('\n');
    const { body } = await upload(ws, 'contacts', csv);
    expect(body).toMatchObject({ status: 'COMPLETED', processedRows: 7, createdCount: 2, failedCount: 5 });
    expect(await server.count('contact', ws.id)).toBe(before + 2);

    const job = (await ws.ok(ImportJobDocument, { id: body.id, errorsFirst: 10 })).importJob!;
    expect(job.errors.totalCount).toBe(5);
    expect(job.errors.nodes.map((e) => [e.rowNumber, e.field, e.code])).toEqual([
      [3, 'email', 'BAD_USER_INPUT'],
      [4, null, 'MALFORMED_ROW'],
      [5, 'custom.nope', 'BAD_USER_INPUT'],
      [6, 'custom.region', 'BAD_USER_INPUT'],
      [8, null, 'MALFORMED_ROW'],
    ]);
    expect(job.errors.nodes[0]!.message).toMatch(/email/);
    const page = (await ws.ok(ImportJobDocument, { id: body.id, errorsFirst: 2 })).importJob!.errors;
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = (await ws.ok(ImportJobDocument, { id: body.id, errorsFirst: 10, errorsAfter: page.pageInfo.endCursor })).importJob!.errors;
    expect(next.nodes.map((e) => e.rowNumber)).toEqual([5, 6, 8]);
  });

  it('maps columns through the mapping parameter and rejects bad mappings before reading', async () => {
    const { body } = await upload(ws, 'contacts', 'Vorname;Mail\nKarl;karl@example.de\n'.replaceAll(';', ','), {
      mapping: JSON.stringify({ Vorname: 'firstName', Mail: 'email' }),
    });
    expect(body).toMatchObject({ createdCount: 1, failedCount: 0 });
    expect((await contacts(ws)).find((c: any) => c.primaryEmail === 'karl@example.de')).toMatchObject({ firstName: 'Karl' });

    const before = await server.count('contact', ws.id);
    const jobsBefore = await server.count('import_job', ws.id);
    const bad = await upload(ws, 'contacts', 'a\n1\n', { mapping: JSON.stringify({ a: 'shoeSize' }) });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'mapping' });
    const missing = await upload(ws, 'contacts', 'a\n1\n', { mapping: JSON.stringify({ b: 'firstName' }) });
    expect(missing.body).toMatchObject({ status: 'FAILED', failureMessage: expect.stringContaining('"b"') });
    expect(await server.count('contact', ws.id)).toBe(before);
    expect(await server.count('import_job', ws.id)).toBe(jobsBefore + 1);
  });

  it('refuses callers without a workspace and unknown object types', async () => {
    const anonymous = await server.app.http.inject({
      method: 'POST',
      url: '/imports/contacts',
      headers: { 'content-type': 'text/csv' },
      payload: 'email\na@b.co\n',
    });
    expect(anonymous.statusCode).toBe(401);
    expect((await upload(ws, 'deals', 'name\nx\n')).status).toBe(404);
  });

  it('runs asynchronously with ?async=true and shows progress through importJob', async () => {
    const rows = (function* () {
      yield 'firstName,email\n';
      for (let i = 0; i < 2500; i++) yield `Async ${i},async${i}@example.com\n`;
    })();
    const { status, body } = await upload(ws, 'contacts', Readable.from(rows), { async: 'true' });
    expect(status).toBe(202);
    expect(['PENDING', 'RUNNING']).toContain(body.status);
    let job: any;
    for (let i = 0; i < 200; i++) {
      job = (await ws.ok(ImportJobDocument, { id: body.id })).importJob;
      if (job.status === 'COMPLETED' || job.status === 'FAILED') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(job).toMatchObject({ status: 'COMPLETED', processedRows: 2500, createdCount: 2500, failedCount: 0 });
    const jobs = (await ws.ok(ImportJobsDocument, { first: 1 })).importJobs;
    expect(jobs.nodes[0]).toMatchObject({ id: body.id, objectType: 'CONTACTS' });
  });
});

describe('importCsv mutation and companies', () => {
  it('upserts companies by domain, then by name (unchanged rows count as neither)', async () => {
    const ws = await server.newWorkspace();
    const csv = 'name,domain,industry,employeeCount,tags\nInitech,initech.com,Software,50,b2b\nUmbrella,,Pharma,"1,000",\n';
    const first = await ws.ok(ImportCsvDocument, { input: { objectType: 'COMPANIES', csv } });
    expect(first.importCsv.job).toMatchObject({ status: 'COMPLETED', createdCount: 2, failedCount: 0 });
    const second = await ws.ok(ImportCsvDocument, {
      input: {
        objectType: 'COMPANIES',
        csv: 'name,domain,employeeCount\nInitech Inc,https://www.initech.com/,60\nUmbrella,,1000\nNobody,,nope\n',
      },
    });
    expect(second.importCsv.job).toMatchObject({ createdCount: 0, updatedCount: 1, failedCount: 1 });
    expect(second.importCsv.job!.errors.nodes).toEqual([
      expect.objectContaining({ rowNumber: 4, field: 'employeeCount', code: 'BAD_USER_INPUT' }),
    ]);
    const { companies } = await ws.ok(ImportedCompaniesDocument, {});
    expect(companies.nodes).toMatchObject([
      { name: 'Initech Inc', domains: ['initech.com'], employeeCount: 60, version: 2 },
      { name: 'Umbrella', employeeCount: 1000, industry: 'Pharma', version: 1 },
    ]);
  });

  it('rejects an oversized or wrongly mapped inline CSV without writing', async () => {
    const ws = await server.newWorkspace();
    const big = await ws.ok(ImportCsvDocument, { input: { objectType: 'CONTACTS', csv: `email\n${'a@b.co\n'.repeat(800_000)}` } });
    expect(big.importCsv).toMatchObject({ job: null, userErrors: [{ field: ['csv'], code: 'BAD_USER_INPUT' }] });
    const mapped = await ws.ok(ImportCsvDocument, { input: { objectType: 'CONTACTS', csv: 'x\n1\n', mapping: { x: 'nope' } } });
    expect(mapped.importCsv.userErrors).toEqual([expect.objectContaining({ field: ['mapping'] })]);
    expect(await server.count('import_job', ws.id)).toBe(0);
    expect(await server.count('contact', ws.id)).toBe(0);
  });
});

describe('CSV export', () => {
  it('streams contacts with custom columns, honours the filter, and re-imports without changes', async () => {
    const ws = await server.newWorkspace();
    await ws.ok(ImportDefineFieldDocument, { input: { objectType: 'Contact', key: 'score', label: 'Score', type: 'NUMBER' } });
    await ws.ok(ImportDefineFieldDocument, {
      input: {
        objectType: 'Contact',
        key: 'langs',
        label: 'Languages',
        type: 'MULTI_SELECT',
        options: [
          { value: 'en', label: 'English' },
          { value: 'de', label: 'German' },
        ],
      },
    });
    const csv = [
      'firstName,lastName,email,emails,phones,company,tags,lifecycleStage,doNotCall,address.city,address.country,custom.score,custom.langs',
      'Ann,"O\'Neil, Jr.",ann@example.com,ann@example.com;ann.private@example.org,+1 555 0100;+1 555 0101,acme.example,vip;"quoted",CUSTOMER,true,Berlin,de,42,en;de',
      'Bob,Multi-line,,,,Bobs Burgers,,LEAD,false,,,7.5,',
      'Cleo,"has ""quotes""",cleo@example.com,,,Bobs Burgers,,SALES_QUALIFIED,,,,,',
    ].join('\n');
    const imported = await upload(ws, 'contacts', csv);
    expect(imported.body).toMatchObject({ createdCount: 3, failedCount: 0 });
    const before = await contacts(ws);

    const exported = await download(ws, 'contacts.csv');
    expect(exported.status).toBe(200);
    expect(exported.type).toMatch(/^text\/csv/);
    const [header, ...lines] = exported.body.trim().split('\n');
    expect(header).toContain('custom.score,custom.langs');
    expect(lines).toHaveLength(3);
    expect(exported.body).toContain('ann@example.com;ann.private@example.org');

    const again = await upload(ws, 'contacts', exported.body);
    expect(again.body).toMatchObject({ processedRows: 3, createdCount: 0, updatedCount: 0, failedCount: 0 });
    expect(await contacts(ws)).toEqual(before);
    expect(await server.count('company', ws.id)).toBe(2);

    const filtered = await download(ws, 'contacts.csv', { lifecycleStage: ['CUSTOMER'] });
    expect(filtered.body.trim().split('\n')).toHaveLength(2);
    expect((await download(ws, 'contacts.csv', { createdAt: { gt: 'yesterday-ish' } })).status).toBe(400);
  });

  it('exports companies and re-imports them unchanged', async () => {
    const ws = await server.newWorkspace();
    await ws.ok(ImportCsvDocument, {
      input: {
        objectType: 'COMPANIES',
        csv: 'name,domains,employeeCount,annualRevenue,annualRevenueCurrency,website\nHooli,hooli.com;hooli.xyz,900,125000000,USD,hooli.com\nPied Piper,,9,,,\n',
      },
    });
    const before = (await ws.ok(ImportedCompaniesDocument, {})).companies.nodes;
    const exported = await download(ws, 'companies.csv');
    expect(exported.body.split('\n')[0]).toMatch(/^id,name,domains/);
    const again = await upload(ws, 'companies', exported.body);
    expect(again.body).toMatchObject({ processedRows: 2, createdCount: 0, updatedCount: 0, failedCount: 0 });
    expect((await ws.ok(ImportedCompaniesDocument, {})).companies.nodes).toEqual(before);
    const other = await server.newWorkspace();
    expect((await download(other, 'companies.csv')).body.trim().split('\n')).toHaveLength(1);
  });

  it('exports filtered activities with their targets and assignee', async () => {
    const ws = await server.newWorkspace();
    const company = (await ws.ok(`mutation { createCompany(input: { name: "Initech" }) { company { id } } }`)).createCompany.company.id;
    const log = `mutation($input: LogActivityInput!) { logActivity(input: $input) { activity { id } userErrors { message } } }`;
    const { users } = await ws.ok(`{ users(first: 1) { nodes { id } } }`);
    await ws.ok(log, { input: { type: 'CALL', subject: 'Kick-off call', durationSeconds: 600, targetIds: [company] } });
    await ws.ok(log, {
      input: {
        type: 'TASK',
        subject: 'Send, "quote"',
        dueAt: '2030-01-02T09:00:00.000Z',
        assigneeId: users.nodes[0].id,
        targetIds: [company],
      },
    });
    const all = await download(ws, 'activities.csv');
    expect(all.status).toBe(200);
    const [header, ...rows] = all.body.trim().split('\n');
    expect(header).toBe(
      'id,type,subject,body,occurredAt,durationSeconds,direction,outcome,dueAt,priority,completedAt,assignee,targets,createdAt',
    );
    expect(rows).toHaveLength(2);
    const tasks = await download(ws, 'activities.csv', { type: ['TASK'], dueAfter: '2029-12-31T00:00:00Z' });
    const lines = tasks.body.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('"Send, ""quote"""');
    expect(lines[1]).toContain(',2030-01-02T09:00:00.000Z,');
    expect(lines[1]).toContain(`,${ws.userEmail},${company},`);
    const bad = await download(ws, 'activities.csv', { dueAfter: 'not a date' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.dueAfter' });
  });
});

describe('importCsvStream (engine)', () => {
  it('streams a large file in batches and returns the final counts', async () => {
    const ws = await server.newWorkspace();
    const total = 20_000;
    const source = Readable.from(
      (function* () {
        yield 'firstName,lastName,email,company\n';
        for (let i = 0; i < total; i++) yield `First${i},Last${i},bulk${i}@example.com,Company ${i % 50}\n`;
      })(),
    );
    const result = await importCsvStream(server.orm, ws.id, 'contacts', source, null, { batchSize: 1000 });
    expect(result).toMatchObject({ status: 'COMPLETED', processedRows: total, createdCount: total, updatedCount: 0, failedCount: 0 });
    expect(await server.count('contact', ws.id)).toBe(total);
    expect(await server.count('company', ws.id)).toBe(50);
  });
});
