/**
 * `npm run bench -- [--contacts 10000|100000|1000000] [--deals N] [--import-rows N | --skip-import] [--iterations 200] [--warmup 20]
 *   [--only automation|segments] [--rules 1000] [--webhook-events 500] [--segment-contacts 100000]`
 *
 * Recreates a PostgreSQL database (BENCH_DATABASE_URL), seeds it with the shared generator, starts the real app
 * on an ephemeral port and times GraphQL operations over HTTP beside hand-written SQL fetching the same data,
 * then imports a generated CSV file through the import engine beside PostgreSQL COPY of the same file.
 * Then the automation and webhook cases (bench/automation.ts) and the notification fan-out (bench/notifications.ts);
 * `--only automation` runs just those, without seeding. The dynamic segment cases (bench/segments.ts) run on the main
 * seed in the full run; `--only segments` seeds `--segment-contacts` contacts (default 100,000, ten activities each) for them.
 * Prints a markdown table and writes bench/.tmp/results.json. Targets are reported, never enforced.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { issueSession } from '../src/core/auth/auth.module.js';
import { withWorkspace } from '../src/db/rls/tenant-context.js';
import { runShieldCase, type ShieldResult } from './shield.js';
import { measureLiveSchema, type LiveSchemaNumbers } from './live-schema.js';
import { openAppDatabase } from '../src/app/database.js';
import { toGlobalId } from '../src/graphql/global-id.js';
import { foldText } from '../src/core/search/search-text.js';
import { Rng } from '../src/seed/generate.js';
import { BENCH_USER, recreateDatabase, type SeedResult } from './seed.js';
import {
  findImportFunction,
  runCopyBaseline,
  runCopyIntoContactsBaseline,
  runEngineImport,
  writeContactsCsv,
  type CopyResult,
  type ImportResult,
} from './import.js';
import { graphqlClient, log, mb, measure, ms, perSecond, type Stats } from './lib.js';
import { runPipelineCases, seedPipelineDeals } from './pipeline.js';
import { renderAutomation, runAutomationCases, type AutomationResult } from './automation.js';
import { renderFanOut, runNotificationFanOut, type FanOutResult } from './notifications.js';
import { renderSegments, runSegmentCases, type SegmentResult } from './segments.js';

interface Args {
  contacts: number;
  importRows: number;
  skipImport: boolean;
  iterations: number;
  warmup: number;
  /** Deals seeded for the pipeline plugin's cases (default: as many as contacts). */
  deals: number | null;
  /** Run only these cases (`automation`, `segments`); null: everything. */
  only: 'automation' | 'segments' | null;
  /** Contacts seeded for `--only segments`. */
  segmentContacts: number;
  /** Rules in the automation matching case. */
  rules: number;
  /** Events per webhook burst. */
  webhookEvents: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    contacts: 10_000,
    importRows: 1_000_000,
    skipImport: false,
    iterations: 200,
    warmup: 20,
    deals: null,
    only: null,
    rules: 1000,
    webhookEvents: 500,
    segmentContacts: 100_000,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const number = () => {
      const value = Number(String(argv[++i]).replace(/[_,]/g, ''));
      if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} needs a positive whole number`);
      return value;
    };
    if (flag === '--contacts') args.contacts = number();
    else if (flag === '--import-rows') args.importRows = number();
    else if (flag === '--skip-import') args.skipImport = true;
    else if (flag === '--iterations') args.iterations = number();
    else if (flag === '--warmup') args.warmup = number();
    else if (flag === '--deals') args.deals = number();
    else if (flag === '--rules') args.rules = number();
    else if (flag === '--webhook-events') args.webhookEvents = number();
    else if (flag === '--segment-contacts') args.segmentContacts = number();
    else if (flag === '--only') {
      const value = argv[++i];
      if (value !== 'automation' && value !== 'segments') throw new Error('--only takes: automation, segments');
      args.only = value;
    } else throw new Error(`unknown option ${flag}`);
  }
  return args;
}

interface CaseResult {
  name: string;
  graphql?: Stats;
  baseline?: Stats;
  /** GraphQL p50 / baseline p50. */
  ratio?: number;
  error?: string;
  target?: { description: string; met: boolean };
}

const CONTACTS_PAGE = `query { contacts(first: 50) { nodes { id name primaryEmail company { name } owner { name } activities(first: 5) { nodes { subject occurredAt } } } } }`;
/** Diagnostic: the same page without relations, to tell list cost from relation-loading cost. */
const CONTACTS_PAGE_FLAT = `query { contacts(first: 50) { nodes { id name primaryEmail } } }`;
const CONTACTS_PAGE_FLAT_SQL = `select c.id, c.first_name, c.last_name, c.primary_email from contact c where c.workspace_id = $1 and c.deleted_at is null order by c.created_at desc, c.id desc limit 50`;
const SEARCH = `query($q: String!) { search(query: $q, first: 20) { score node { id ... on Contact { name } ... on Company { name } } } }`;
const TIMELINE = `query($id: ID!) { timeline(targetId: $id, first: 20) { edges { node { ... on Activity { subject type occurredAt } } } } }`;

const CONTACTS_PAGE_SQL = `
select c.id, c.first_name, c.last_name, c.primary_email, co.name as company_name, u.name as owner_name, acts.items as activities
from contact c
left join company co on co.id = c.company_id
left join app_user u on u.id = c.owner_id
left join lateral (
  select json_agg(json_build_object('subject', a.subject, 'occurredAt', a.occurred_at) order by tl.occurred_at desc, tl.entry_id desc) as items
  from (select entry_id, occurred_at from timeline_link tl
        where tl.workspace_id = $1 and tl.target_type = 'Contact' and tl.target_id = c.id and tl.entry_kind = 'activity'
        order by tl.occurred_at desc, tl.entry_id desc limit 5) tl
  join activity a on a.id = tl.entry_id and a.deleted_at is null
) acts on true
where c.workspace_id = $1 and c.deleted_at is null
order by c.created_at desc, c.id desc
limit 50`;

const SEARCH_SQL = `
select * from (
  (select 'Contact' as type, id, concat_ws(' ', first_name, last_name) as name, word_similarity($2, search_text) as score
   from contact where workspace_id = $1 and deleted_at is null and (search_text like $3 or $2 <% search_text)
   order by score desc limit 20)
  union all
  (select 'Company', id, name, word_similarity($2, search_text)
   from company where workspace_id = $1 and deleted_at is null and (search_text like $3 or $2 <% search_text)
   order by 4 desc limit 20)
) hits order by score desc limit 20`;

const TIMELINE_SQL = `
select a.subject, a.type, a.occurred_at
from timeline_link tl join activity a on a.id = tl.entry_id
where tl.workspace_id = $1 and tl.target_type = 'Contact' and tl.target_id = $2
order by tl.occurred_at desc, tl.entry_id desc
limit 21`;

/** Realistic search input: name prefixes, full names, typos, emails, email prefixes, company prefixes and domains. */
function searchQueries(
  rng: Rng,
  contacts: { first_name: string; last_name: string; primary_email: string }[],
  companies: { name: string; primary_domain: string }[],
): string[] {
  const typo = (word: string) => {
    if (word.length < 5) return word;
    const i = rng.int(1, word.length - 3);
    return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  };
  const out: string[] = [];
  for (let i = 0; i < 100; i++) {
    const c = rng.pick(contacts);
    const co = rng.pick(companies);
    const kind = i % 7;
    if (kind === 0) out.push(c.last_name.slice(0, 4));
    else if (kind === 1) out.push(`${c.first_name} ${c.last_name}`);
    else if (kind === 2) out.push(`${c.first_name} ${typo(c.last_name)}`);
    else if (kind === 3) out.push(c.primary_email);
    else if (kind === 4) out.push(c.primary_email.split('@')[0]!);
    else if (kind === 5) out.push(co.name.split(' ')[0]!.slice(0, 6));
    else out.push(co.primary_domain);
  }
  return out;
}

/** Runs the seeding in a child process: its garbage would otherwise slow this process's HTTP client and SQL baseline. */
async function seedInChildProcess(url: string, contacts: number): Promise<SeedResult> {
  const here = dirname(fileURLToPath(import.meta.url));
  const child = spawn(process.execPath, [join(here, 'seed-cli.js'), url, String(contacts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
    process.stdout.write(chunk.startsWith('{') ? '' : chunk);
  });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`seeding failed with exit code ${code}`);
  return JSON.parse(output.trim().split('\n').at(-1)!) as SeedResult;
}

/** Starts `dist/src/server.js` on a free loopback port and waits until it is ready. */
async function startServerProcess(
  url: string,
  entry: string,
  env: Record<string, string>,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await new Promise<number>((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolvePort(free));
    });
  });
  const here = dirname(fileURLToPath(import.meta.url));
  const child = spawn(process.execPath, [join(here, '..', entry)], {
    env: {
      ...process.env,
      ...env,
      DATABASE_URL: url,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API process exited with ${child.exitCode}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error('the API process did not become ready within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`API process ${child.pid} listening on 127.0.0.1:${port}`);
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/crm_bench';
  const here = dirname(fileURLToPath(import.meta.url));
  const tmp = resolve(here, '..', '..', 'bench', '.tmp');
  mkdirSync(tmp, { recursive: true });

  log(`recreating ${new URL(url).pathname.slice(1)} and migrating`);
  await recreateDatabase(url);
  const automationOptions = { iterations: args.iterations, warmup: args.warmup, rules: args.rules, events: args.webhookEvents };
  if (args.only === 'automation') {
    const migrated = await openAppDatabase({ url, poolMax: 2 });
    await migrated.close();
    const automation = await runAutomationCases(url, automationOptions);
    const fanOut = await runNotificationFanOut(url, { iterations: args.iterations, warmup: args.warmup });
    process.stdout.write(`${renderAutomation(automation)}\n\n${renderFanOut(fanOut)}\n`);
    writeFileSync(
      join(tmp, 'results.json'),
      JSON.stringify({ date: new Date().toISOString(), node: process.version, args, automation, fanOut }, null, 2),
    );
    log(`results written to ${join(tmp, 'results.json')}`);
    return;
  }
  // the owner migrates; the engine import below runs as the API's role, under row-level security like the API
  const database = await openAppDatabase({ url, poolMax: 10 });
  await database.closeOwner();
  const orm = database.orm;

  const sqlClient = new pg.Client({ connectionString: url });
  await sqlClient.connect();
  const contacts = args.only === 'segments' ? args.segmentContacts : args.contacts;
  log(
    `seeding ${contacts.toLocaleString('en-US')} contacts, ~${Math.round(contacts / 5).toLocaleString('en-US')} companies, ~${(contacts * 10).toLocaleString('en-US')} activities`,
  );
  const seed = await seedInChildProcess(url, contacts);
  log(`seeded in ${seed.seconds.toFixed(1)} s with ${seed.method}: ${JSON.stringify(seed.counts)}`);
  const ws = seed.workspaceId;

  // the API runs as its own process, as in production: the benchmark's seeding and client work stay out of its heap
  // one sequential client is one principal: the per-principal rate limit would throttle the benchmark itself
  const jwtSecret = randomBytes(32).toString('hex');
  // production refuses to start without an encryption key; a fresh one per run
  const serverEnv = {
    JWT_SECRET: jwtSecret,
    RATE_LIMIT_PER_MINUTE: '0',
    ENCRYPTION_KEY: `bench:${randomBytes(32).toString('base64')}`,
  };
  const server = await startServerProcess(url, join('src', 'server.js'), serverEnv);
  const port = server.port;
  const {
    rows: [benchUser],
  } = await sqlClient.query<{ id: string }>('select id from app_user where email = $1', [BENCH_USER]);
  const tokens = await withWorkspace(orm, ws, (em) =>
    issueSession(
      em,
      { workspaceId: ws, userId: benchUser!.id },
      { JWT_SECRET: jwtSecret, ACCESS_TOKEN_TTL_SECONDS: 24 * 3600, REFRESH_TOKEN_TTL_DAYS: 1 },
    ),
  );
  const auth = { authorization: `Bearer ${tokens.accessToken}` };
  const gql = graphqlClient(`http://127.0.0.1:${port}/graphql`, auth);
  log(`app listening on 127.0.0.1:${port}`);
  const segmentBench = { gql, sql: sqlClient, orm, workspaceId: ws, userId: benchUser!.id };
  const segmentOptions = { iterations: args.iterations, warmup: args.warmup };
  if (args.only === 'segments') {
    const segments = await runSegmentCases(segmentBench, segmentOptions);
    await server.stop();
    process.stdout.write(`${renderSegments(segments)}\n`);
    writeFileSync(
      join(tmp, 'results.json'),
      JSON.stringify({ date: new Date().toISOString(), node: process.version, args, seed, segments }, null, 2),
    );
    log(`results written to ${join(tmp, 'results.json')}`);
    await sqlClient.end();
    await orm.close(true);
    return;
  }

  const rng = new Rng(7);
  const { rows: sampleContacts } = await sqlClient.query<{ id: string; first_name: string; last_name: string; primary_email: string }>(
    'select id, first_name, last_name, primary_email from contact where workspace_id = $1 order by md5(id::text) limit 500',
    [ws],
  );
  const { rows: sampleCompanies } = await sqlClient.query<{ name: string; primary_domain: string }>(
    'select name, primary_domain from company where workspace_id = $1 order by md5(id::text) limit 200',
    [ws],
  );
  const queries = searchQueries(rng, sampleContacts, sampleCompanies);
  await sqlClient.query(`set pg_trgm.word_similarity_threshold = 0.5`);

  const opts = { warmup: args.warmup, iterations: args.iterations };
  const cases: CaseResult[] = [];
  async function runCase(
    name: string,
    graphqlOp: (i: number) => Promise<unknown>,
    sqlOp: (i: number) => Promise<unknown>,
    target?: (c: CaseResult) => CaseResult['target'],
  ) {
    log(`case: ${name}`);
    const result: CaseResult = { name };
    try {
      result.graphql = await measure(graphqlOp, opts);
    } catch (error) {
      result.error = (error as Error).message;
      log(`  GraphQL failed: ${result.error}`);
    }
    result.baseline = await measure(sqlOp, opts);
    if (result.graphql) result.ratio = result.graphql.p50 / result.baseline.p50;
    if (target && result.graphql) result.target = target(result);
    cases.push(result);
  }

  await runCase(
    'contacts(first: 50) + company, owner, 5 activities',
    async () => {
      const data = await gql(CONTACTS_PAGE);
      if (data.contacts.nodes.length !== Math.min(50, args.contacts))
        throw new Error(`expected 50 contacts, got ${data.contacts.nodes.length}`);
    },
    () => sqlClient.query(CONTACTS_PAGE_SQL, [ws]),
  );
  await runCase(
    'contacts(first: 50), scalar fields only (diagnostic)',
    () => gql(CONTACTS_PAGE_FLAT),
    () => sqlClient.query(CONTACTS_PAGE_FLAT_SQL, [ws]),
  );
  await runCase(
    'search(query, first: 20)',
    (i) => gql(SEARCH, { q: queries[i % queries.length] }),
    (i) => {
      const q = foldText(queries[i % queries.length]!);
      return sqlClient.query(SEARCH_SQL, [ws, q, `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`]);
    },
    (c) => ({
      description: `search p95 ≤ 50 ms at 100k contacts (measured at ${args.contacts.toLocaleString('en-US')})`,
      met: c.graphql!.p95 <= 50,
    }),
  );
  await runCase(
    'timeline(targetId: contact, first: 20)',
    (i) => gql(TIMELINE, { id: toGlobalId('Contact', sampleContacts[i % sampleContacts.length]!.id) }),
    (i) => sqlClient.query(TIMELINE_SQL, [ws, sampleContacts[i % sampleContacts.length]!.id]),
  );

  // the pipeline plugin's tables exist once the API process applied its migrations
  const deals = args.deals ?? args.contacts;
  log(`seeding ${deals.toLocaleString('en-US')} deals`);
  const pipelineSeed = await seedPipelineDeals(sqlClient, ws, deals);
  log(
    `seeded ${pipelineSeed.deals.toLocaleString('en-US')} deals, ${pipelineSeed.dealContacts.toLocaleString('en-US')} deal contacts in ${pipelineSeed.seconds.toFixed(1)} s`,
  );
  await runPipelineCases({ runCase, gql, sql: sqlClient, workspaceId: ws, deals });

  // the same API without graphql-shield, as a second process on the same database
  log('case: shield on/off, 1,000 contacts in pages of 200');
  const unshieldedServer = await startServerProcess(url, join('bench', 'unshielded-server.js'), serverEnv);
  let shield: ShieldResult | { error: string };
  try {
    shield = await runShieldCase(gql, graphqlClient(`http://127.0.0.1:${unshieldedServer.port}/graphql`, auth), {
      ...opts,
      rows: Math.min(1000, args.contacts),
    });
  } catch (error) {
    shield = { error: (error as Error).message };
    log(`shield case failed: ${shield.error}`);
  }
  await unshieldedServer.stop();

  log('case: live per-workspace schema (plugin host)');
  let live: LiveSchemaNumbers | { error: string };
  try {
    live = await measureLiveSchema(url);
  } catch (error) {
    live = { error: (error as Error).message };
    log(`live schema case failed: ${live.error}`);
  }

  let importResult: ImportResult | { error: string } | undefined;
  let copyResult: CopyResult | { error: string } | undefined;
  let copyIntoContacts: CopyResult | { error: string } | undefined;
  if (!args.skipImport) {
    const csv = join(tmp, `contacts-${args.importRows}.csv`);
    log(`writing ${args.importRows.toLocaleString('en-US')}-row CSV to ${csv}`);
    await writeContactsCsv(csv, args.importRows);
    const engine = await findImportFunction();
    if (!engine) {
      importResult = { error: 'importCsvStream not found in src/core/import-export (not written yet?)' };
      log(importResult.error);
    } else {
      log(`importing through ${engine.module}#importCsvStream`);
      try {
        importResult = await runEngineImport(orm, ws, csv, args.importRows, engine.fn);
        log(`engine result: ${JSON.stringify(importResult.result)?.slice(0, 300)}`);
      } catch (error) {
        importResult = { error: (error as Error).message };
        log(`import failed: ${importResult.error}`);
      }
    }
    log('COPY baseline');
    copyResult = await runCopyBaseline(url, csv, args.importRows);
    log('COPY + INSERT … SELECT into contact baseline');
    copyIntoContacts = await runCopyIntoContactsBaseline(url, csv, args.importRows);
  }

  log('dynamic segment cases');
  let segments: SegmentResult | { error: string };
  try {
    segments = await runSegmentCases(segmentBench, segmentOptions);
  } catch (error) {
    segments = { error: (error as Error).message };
    log(`segment cases failed: ${segments.error}`);
  }

  // the API process stops first: its outbox worker and queue workers would take the automation cases' events
  await server.stop();
  log('automation and webhook cases');
  let automation: AutomationResult | { error: string };
  try {
    automation = await runAutomationCases(url, automationOptions);
  } catch (error) {
    automation = { error: (error as Error).message };
    log(`automation cases failed: ${automation.error}`);
  }
  let fanOut: FanOutResult | { error: string };
  try {
    fanOut = await runNotificationFanOut(url, { iterations: args.iterations, warmup: args.warmup });
  } catch (error) {
    fanOut = { error: (error as Error).message };
  }

  const report = `${renderReport(args, seed, cases, importResult, copyResult, copyIntoContacts)}\n${renderShield(shield)}\n\n${renderLive(live)}\n\n${'error' in automation ? `Automation: failed (${automation.error})` : renderAutomation(automation)}\n\n${renderFanOut(fanOut)}\n\n${'error' in segments ? `Dynamic segments: failed (${segments.error})` : renderSegments(segments)}`;
  process.stdout.write(`${report}\n`);
  writeFileSync(
    join(tmp, 'results.json'),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        args,
        seed,
        cases,
        shield,
        live,
        import: importResult,
        copy: copyResult,
        copyIntoContacts,
        automation,
        fanOut,
        segments,
      },
      null,
      2,
    ),
  );
  log(`results written to ${join(tmp, 'results.json')}`);

  await sqlClient.end();
  await orm.close(true);
}

function renderLive(live: LiveSchemaNumbers | { error: string }): string {
  if ('error' in live) return `Live schema: failed (${live.error})`;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return [
    'Live per-workspace schema (kernel + one plugin; two apps on one database):',
    '',
    '| measure | ms |',
    '|---|---|',
    `| kernel schema, first build in the process | ${live.kernelBuildMs.toFixed(1)} |`,
    `| kernel + plugin schema, cold | ${live.coldBuildKernelPlusPluginMs.toFixed(1)} |`,
    `| kernel + plugin schema, built again | ${live.warmBuildKernelPlusPluginMs.toFixed(1)} |`,
    `| kernel + pipeline plugin schema (a default workspace's) | ${live.buildKernelPlusPipelineMs.toFixed(1)} |`,
    `| schema build + Apollo start through the cache | ${live.coldBuildAndApolloStartMs.toFixed(1)} |`,
    `| disableModule returned → first request on the new schema (set built before), median | ${median(live.disableToNewSchemaWarmMs).toFixed(1)} |`,
    `| the same for a set never built before | ${live.disableToNewSchemaColdSetMs.toFixed(1)} |`,
    `| the other app serving the new schema, median | ${median(live.otherAppConvergenceMs).toFixed(1)} |`,
    '',
    `Target: disableModule → new schema ≤ 1,000 ms: ${Math.max(live.disableToNewSchemaColdSetMs, median(live.disableToNewSchemaWarmMs)) <= 1000 ? 'met' : 'not met'}`,
  ].join('\n');
}

function renderShield(shield: ShieldResult | { error: string }): string {
  if ('error' in shield) return `Shield on/off: failed (${shield.error})`;
  return [
    `Shield on/off: walking ${shield.rows.toLocaleString('en-US')} contacts in pages of 200 (every list field, protected fields, company, owner, tags); alternating rounds`,
    '',
    '| server | p50 | p95 | requests |',
    '|---|---|---|---|',
    `| with graphql-shield | ${ms(shield.on.p50)} | ${ms(shield.on.p95)} | ${shield.on.iterations} |`,
    `| same server without shield | ${ms(shield.off.p50)} | ${ms(shield.off.p95)} | ${shield.off.iterations} |`,
    '',
    `Ratio (p50): ${shield.ratio.toFixed(2)}× — target ≤ 1.3×: ${shield.ratio <= 1.3 ? 'met' : 'not met'}`,
  ].join('\n');
}

function renderReport(
  args: Args,
  seed: SeedResult,
  cases: CaseResult[],
  importResult: ImportResult | { error: string } | undefined,
  copy: CopyResult | { error: string } | undefined,
  copyIntoContacts: CopyResult | { error: string } | undefined,
): string {
  const lines: string[] = [];
  lines.push(
    `## Benchmark: ${args.contacts.toLocaleString('en-US')} contacts, ${seed.counts.company!.toLocaleString('en-US')} companies, ${seed.counts.activity!.toLocaleString('en-US')} activities (${args.iterations} sequential requests after ${args.warmup} warm-up, PostgreSQL)`,
  );
  lines.push('');
  lines.push('| case | p50 | p95 | throughput | baseline p50 | baseline p95 | ratio (p50) |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const c of cases) {
    if (c.error)
      lines.push(`| ${c.name} | error: ${c.error.replace(/\|/g, '\\|')} | | | ${ms(c.baseline?.p50)} | ${ms(c.baseline?.p95)} | – |`);
    else
      lines.push(
        `| ${c.name} | ${ms(c.graphql?.p50)} | ${ms(c.graphql?.p95)} | ${perSecond(c.graphql?.throughput)} | ${ms(c.baseline?.p50)} | ${ms(c.baseline?.p95)} | ${c.ratio?.toFixed(1)}× |`,
      );
  }
  lines.push('');
  lines.push('Baselines: the same data fetched by one hand-written SQL statement through the pg client (no HTTP, no GraphQL).');
  if (importResult || copy) {
    lines.push('');
    if (importResult && 'error' in importResult)
      lines.push(`Import (${args.importRows.toLocaleString('en-US')} rows): error: ${importResult.error}`);
    else if (importResult) {
      const flat = importResult.checkpoints
        .map(
          (c) => `${Math.round(c.atProgress * 100)}%: RSS ${mb(c.rssPeak)}, heap ${mb(c.heapPeak)}, live heap after GC ${mb(c.liveHeap)}`,
        )
        .join('; ');
      lines.push(
        `Import (${args.importRows.toLocaleString('en-US')} rows via importCsvStream): ${perSecond(importResult.rowsPerSecond, 'rows/s')} in ${importResult.seconds.toFixed(1)} s; peak RSS ${mb(importResult.rssPeak)} (before ${mb(importResult.rssBefore)}), peak heap ${mb(importResult.heapPeak)}; peaks by progress: ${flat}`,
      );
    }
    if (copy && 'error' in copy) lines.push(`COPY baseline: error: ${copy.error}`);
    else if (copy) {
      const ratio =
        importResult && !('error' in importResult)
          ? ` — engine/COPY rate ratio ${(importResult.rowsPerSecond / copy.rowsPerSecond).toPrecision(2)} (COPY is ${(copy.rowsPerSecond / importResult.rowsPerSecond).toFixed(1)}× faster)`
          : '';
      lines.push(
        `COPY baseline (${copy.method}, same file into an untyped staging table): ${perSecond(copy.rowsPerSecond, 'rows/s')} in ${copy.seconds.toFixed(1)} s${ratio}`,
      );
    }
    if (copyIntoContacts && 'error' in copyIntoContacts) lines.push(`COPY into contact baseline: error: ${copyIntoContacts.error}`);
    else if (copyIntoContacts) {
      const ratio =
        importResult && !('error' in importResult)
          ? ` — engine/baseline rate ratio ${(importResult.rowsPerSecond / copyIntoContacts.rowsPerSecond).toPrecision(2)}`
          : '';
      lines.push(
        `COPY into contact baseline (${copyIntoContacts.method}, with all of contact's indexes): ${perSecond(copyIntoContacts.rowsPerSecond, 'rows/s')} in ${copyIntoContacts.seconds.toFixed(1)} s${ratio}`,
      );
    }
  }
  lines.push('');
  lines.push('Targets (reported, not enforced):');
  for (const c of cases)
    if (c.target) lines.push(`- ${c.target.description}: ${c.target.met ? 'met' : 'NOT met'} (p95 ${ms(c.graphql?.p95)})`);
  if (importResult && !('error' in importResult)) {
    const at10 = importResult.checkpoints.find((c) => c.atProgress === 0.1);
    const end = importResult.checkpoints.at(-1)!;
    if (at10) {
      const growth = end.rssPeak - at10.rssPeak;
      const liveGrowth = end.liveHeap - at10.liveHeap;
      const met = growth <= 64 * 1024 * 1024 && liveGrowth <= 64 * 1024 * 1024;
      lines.push(
        `- import memory flat (peak RSS and live heap at 100% within 64 MB of their values at 10%): ${met ? 'met' : 'NOT met'} (RSS grew ${mb(growth)}, live heap grew ${mb(liveGrowth)})`,
      );
    }
  }
  return lines.join('\n');
}

await main();
