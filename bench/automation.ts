/**
 * Automation and webhook cases (`npm run bench -- --only automation`, or as part of the full run):
 *
 * 1. Rule matching: one workspace with 1,000 enabled rules (validated by the real `validateDefinition`, inserted into
 *    `automation_rule` + `automation_rule_version`), one contact; `startRunsForEvent(em, event, now)` timed inside a
 *    workspace transaction that is rolled back every iteration, beside the candidate lookup statement alone in the same
 *    kind of transaction; again with an event type no rule triggers on.
 * 2. Event → webhook delivered to a loopback receiver: through the real queue (the app's outbox worker → fan-out →
 *    pg-boss attempt job → `attemptWebhookDelivery`), through the same functions called inline (insert, `fanOutEvent`,
 *    `attemptWebhookDelivery`), and a floor that signs the same payloads with `standardwebhooks` and POSTs them with
 *    node's fetch. Each is run paced (latency) and as a burst (deliveries/s) at the same concurrency.
 *
 * Called from bench/run.ts; opens its own database handle and job queue on the (already migrated) bench database.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SqlEntityManager } from '@mikro-orm/sql';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { openAppDatabase, openAppQueue } from '../src/app/database.js';
import { createApp } from '../src/app/http-app.js';
import { loadConfig } from '../src/config.js';
import { startRunsForEvent } from '../src/core/automation/engine.js';
import { automationCatalogOf } from '../src/core/automation/catalog.js';
import { validateDefinition } from '../src/core/automation/validate.js';
import { attemptWebhookDelivery, fanOutEvent } from '../src/core/webhooks/delivery.js';
import { createEndpoint } from '../src/core/webhooks/webhooks.service.js';
import { attachWebhookSettings, webhookSettingsFrom, webhookSettingsOf } from '../src/core/webhooks/settings.js';
import { withWorkspace } from '../src/db/rls/tenant-context.js';
import type { Orm } from '../src/db/orm.js';
import { insertEvents } from '../src/events/emit.js';
import type { DomainEvent } from '../src/events/handlers.js';
import { OutboxWorker } from '../src/events/outbox-worker.js';
import { requestContextAs } from '../src/graphql/act-as.js';
import { createLogger } from '../src/logger.js';
import { log, measure, ms, perSecond, summarize, type Stats } from './lib.js';

export interface AutomationOptions {
  iterations: number;
  warmup: number;
  /** Rules in the matching workspace (default 1,000). */
  rules?: number;
  /** Events per webhook burst (default 500). */
  events?: number;
  /** Events of the paced (latency) phase (default 200). */
  pacedEvents?: number;
  /** Concurrent sends of every webhook path (the queue's attempt worker runs 4). */
  concurrency?: number;
}

export interface MatchingResult {
  rules: number;
  /** Runs `startRunsForEvent` started for the matching event (of `rules` candidates). */
  started: number;
  candidates: number;
  engine: Stats;
  floor: Stats;
  ratio: number;
  noMatch: { engine: Stats; floor: Stats; ratio: number };
  target: { description: string; met: boolean };
}

export interface DeliveryPhase {
  events: number;
  /** Paced phase: events submitted per second. */
  ratePerSecond?: number;
  /** Per event: submitted (insert started, or signing started for the floor) → the receiver has the POST. */
  latency: Stats;
  /** Deliveries per second: events / (last POST received − first submitted). Burst phase only. */
  deliveriesPerSecond?: number;
  /** Events submitted per second (for the queue path: written to the outbox), the bound of a path that delivers behind. Burst phase only. */
  submittedPerSecond?: number;
  seconds?: number;
}

export interface DeliveryPath {
  name: string;
  paced: DeliveryPhase;
  burst: DeliveryPhase;
}

export interface WebhookResult {
  concurrency: number;
  pacedRatePerSecond: number;
  floor: DeliveryPath;
  /** The floor with a new TCP connection per POST (node:http, agent: false), as the app sends. */
  floorNewConnection: DeliveryPath;
  direct: DeliveryPath | { error: string };
  queue: DeliveryPath | { error: string };
  target: { description: string; met: boolean | null };
}

export interface AutomationResult {
  matching: MatchingResult | { error: string };
  webhooks: WebhookResult | { error: string };
}

const ROLLBACK = new Error('bench: roll back');

/** Runs `work` in a workspace transaction like the outbox delivery's, then rolls it back. */
async function rolledBack<T>(orm: Orm, workspaceId: string, work: (em: SqlEntityManager) => Promise<T>): Promise<T> {
  let result: T;
  try {
    await withWorkspace(orm, workspaceId, async (em) => {
      result = await work(em);
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
  return result!;
}

async function insertWorkspace(client: pg.Client, name: string): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  await client.query('insert into workspace (id, name, slug, default_currency, created_at, updated_at) values ($1, $2, $3, $4, $5, $5)', [
    id,
    name,
    `${name.toLowerCase().replace(/\W+/g, '-')}-${id.slice(0, 8)}`,
    'USD',
    now,
  ]);
  return id;
}

async function insertContact(client: pg.Client, workspaceId: string): Promise<string> {
  const now = new Date().toISOString();
  const companyId = randomUUID();
  await client.query(
    `insert into company (id, workspace_id, created_at, updated_at, name, domains, phones, custom_fields, industry)
     values ($1, $2, $3, $3, 'Analytical Engines Ltd', '{}', '[]', '{}', 'Software')`,
    [companyId, workspaceId, now],
  );
  const contactId = randomUUID();
  await client.query(
    `insert into contact (id, workspace_id, created_at, updated_at, first_name, last_name, job_title, lifecycle_stage, company_id, emails, phones, custom_fields)
     values ($1, $2, $3, $3, 'Ada', 'Lovelace', 'Staff Engineer', 'LEAD', $4, '[]', '[]', '{}')`,
    [contactId, workspaceId, now, companyId],
  );
  return contactId;
}

const STAGES = ['MARKETING_QUALIFIED', 'SALES_QUALIFIED', 'OPPORTUNITY', 'CUSTOMER', 'CHURNED'];

/**
 * The i-th rule of the mix (all on `contact.updated`): 50 % field conditions on the contact, 20 % on its company,
 * 10 % a trigger filter on a field the event did not change, 10 % any/not combinations, 10 % other conditions;
 * about 1.5 % hold for the benchmark's contact and event.
 */
function ruleDefinition(i: number): Record<string, unknown> {
  const trigger: Record<string, unknown> = { type: 'event', event: 'contact.updated' };
  const actions = [{ type: 'logNote', body: `Rule ${i} saw {{ record.firstName }}` }];
  const group = i % 10;
  const matches = i % 100 < 3 && group < 5; // 15 rules: the contact's own stage and title
  let conditions: unknown;
  if (group < 5)
    conditions = {
      all: [
        { field: 'lifecycleStage', op: 'eq', value: matches ? 'LEAD' : STAGES[i % STAGES.length] },
        { field: 'jobTitle', op: 'contains', value: matches ? 'engineer' : `title ${i}` },
      ],
    };
  else if (group < 7) conditions = { all: [{ field: 'company.industry', op: 'eq', value: `Industry ${i}` }] };
  else if (group === 7) {
    trigger.field = 'lifecycleStage';
    trigger.to = 'CUSTOMER';
  } else if (group === 8)
    conditions = {
      any: [{ field: 'tags', op: 'includes', value: `vip-${i}` }, { not: { field: 'ownerId', op: 'isEmpty' } }],
    };
  else
    conditions = {
      all: [
        { field: 'doNotContact', op: 'eq', value: true },
        { field: 'firstName', op: 'startsWith', value: 'Z' },
      ],
    };
  return { trigger, ...(conditions ? { conditions } : {}), actions };
}

async function seedRules(orm: Orm, workspaceId: string, count: number): Promise<void> {
  await withWorkspace(orm, workspaceId, async (em) => {
    const ctx = await requestContextAs(em, workspaceId, null);
    const catalog = automationCatalogOf(em);
    const now = new Date();
    for (let start = 0; start < count; start += 100) {
      const ruleParams: unknown[] = [];
      const versionParams: unknown[] = [];
      const n = Math.min(100, count - start);
      for (let i = start; i < start + n; i++) {
        const validated = await validateDefinition(ctx, catalog, ruleDefinition(i));
        const id = randomUUID();
        ruleParams.push(id, workspaceId, now, now, `Bench rule ${i}`, `{${validated.triggerKeys.join(',')}}`);
        versionParams.push(randomUUID(), workspaceId, id, JSON.stringify(validated.definition), now);
      }
      await em.execute(
        `insert into automation_rule (id, workspace_id, created_at, updated_at, name, enabled, trigger_keys, current_version)
         values ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, true, ?::text[], 1)').join(', ')}`,
        ruleParams,
      );
      await em.execute(
        `insert into automation_rule_version (id, workspace_id, rule_id, version, definition, created_at)
         values ${Array.from({ length: n }, () => '(?, ?, ?, 1, cast(? as jsonb), ?)').join(', ')}`,
        versionParams,
      );
    }
  });
}

/** The engine's candidate lookup, as startRunsForEvent sends it. */
const CANDIDATES_SQL = `select r.id, r.current_version, v.definition from automation_rule r
      join automation_rule_version v on v.rule_id = r.id and v.version = r.current_version
     where r.workspace_id = ? and r.enabled and r.trigger_keys @> array[?]::text[]
     order by r.created_at, r.id`;

async function runMatching(orm: Orm, client: pg.Client, opts: AutomationOptions): Promise<MatchingResult> {
  const rules = opts.rules ?? 1000;
  const workspaceId = await insertWorkspace(client, 'Bench automation');
  const contactId = await insertContact(client, workspaceId);
  log(`seeding ${rules.toLocaleString('en-US')} automation rules`);
  await seedRules(orm, workspaceId, rules);
  await client.query('analyze automation_rule; analyze automation_rule_version');
  const event = (type: string): DomainEvent => ({
    id: randomUUID(),
    type,
    workspaceId,
    occurredAt: new Date(),
    actor: { userId: null, apiKeyId: null },
    payload: {
      id: contactId,
      changedFields: ['jobTitle'],
      changes: { jobTitle: { before: 'Engineer', after: 'Staff Engineer' } },
    },
  });
  const updated = event('contact.updated');
  const other = event('contact.restored');
  const measureOpts = { warmup: opts.warmup, iterations: Math.max(200, opts.iterations) };
  const probe = await rolledBack(orm, workspaceId, async (em) => ({
    runs: await startRunsForEvent(em, updated, new Date()),
    candidates: (await em.execute(CANDIDATES_SQL, [workspaceId, updated.type])).length,
  }));
  log(`  ${probe.runs.started.length} of ${probe.candidates} candidate rules start a run`);
  const timed = (work: (em: SqlEntityManager) => Promise<unknown>) => {
    const samples: number[] = [];
    return {
      samples,
      op: () =>
        rolledBack(orm, workspaceId, async (em) => {
          const t = performance.now();
          await work(em);
          samples.push(performance.now() - t);
        }),
    };
  };
  /** Times only the work inside the transaction (not its begin, tenant setting and rollback): same for both sides. */
  const inTransaction = async (work: (em: SqlEntityManager) => Promise<unknown>): Promise<Stats> => {
    const t = timed(work);
    const started = performance.now();
    await measure(t.op, measureOpts);
    return summarize(t.samples.slice(measureOpts.warmup), performance.now() - started);
  };
  log('case: startRunsForEvent, 1,000 rules on contact.updated');
  const engine = await inTransaction((em) => startRunsForEvent(em, updated, new Date()));
  const floor = await inTransaction((em) => em.execute(CANDIDATES_SQL, [workspaceId, updated.type]));
  log('case: startRunsForEvent, no rule on the event type');
  const noMatchEngine = await inTransaction((em) => startRunsForEvent(em, other, new Date()));
  const noMatchFloor = await inTransaction((em) => em.execute(CANDIDATES_SQL, [workspaceId, other.type]));
  return {
    rules,
    started: probe.runs.started.length,
    candidates: probe.candidates,
    engine,
    floor,
    ratio: engine.p50 / floor.p50,
    noMatch: { engine: noMatchEngine, floor: noMatchFloor, ratio: noMatchEngine.p50 / noMatchFloor.p50 },
    target: { description: `matching p99 ≤ 5 ms with ${rules.toLocaleString('en-US')} rules`, met: engine.p99 <= 5 },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// webhooks

/** A loopback receiver that verifies nothing and answers 200; records when each message id arrived. */
class BenchReceiver {
  readonly arrived = new Map<string, number>();
  #server: Server | null = null;
  #waiters: { ids: string[]; resolve: () => void }[] = [];
  port = 0;

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = performance.now();
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        try {
          const id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: string }).id;
          if (id && !this.arrived.has(id)) this.arrived.set(id, at);
        } catch {
          // not ours
        }
        this.#check();
      });
    });
    this.#server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  #check() {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.ids.every((id) => this.arrived.has(id))) return true;
      w.resolve();
      return false;
    });
  }

  /** Settles when every id arrived; rejects after `timeoutMs` with how many did. */
  waitFor(ids: () => string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = ids();
        reject(new Error(`${list.filter((id) => this.arrived.has(id)).length} of ${list.length} webhooks arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push({
        ids: ids(),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      this.#check();
    });
  }

  close(): Promise<void> {
    this.#server?.closeAllConnections();
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** One way of getting event i to the receiver: returns the id the receiver will see, once submitted (or delivered). */
type Submit = (i: number) => Promise<string>;

interface PathRunner {
  /** Submitting finishes the delivery (floor, direct): bounded by the concurrency. Otherwise the app delivers (queue). */
  submitDelivers: boolean;
  submit: Submit;
}

async function limited(count: number, concurrency: number, each: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await each(next++);
    }),
  );
}

async function runPath(
  name: string,
  runner: PathRunner,
  receiver: BenchReceiver,
  {
    events,
    paced,
    ratePerSecond: maxRatePerSecond,
    concurrency,
  }: { events: number; paced: number; ratePerSecond: number; concurrency: number },
): Promise<DeliveryPath> {
  const phase = async (kind: 'paced' | 'burst', count: number, offset: number, ratePerSecond: number): Promise<DeliveryPhase> => {
    const submitted = new Map<string, number>();
    const ids: string[] = [];
    let lastSubmitted = 0;
    const one = async (i: number) => {
      const t = performance.now();
      const id = await runner.submit(offset + i);
      lastSubmitted = Math.max(lastSubmitted, performance.now());
      submitted.set(id, t);
      ids.push(id);
    };
    const first = performance.now();
    if (kind === 'paced') {
      // one event every 1/rate s; a path that delivers while submitting keeps at most `concurrency` in flight
      const inFlight = new Set<Promise<void>>();
      for (let i = 0; i < count; i++) {
        const due = first + (i * 1000) / ratePerSecond;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (runner.submitDelivers && inFlight.size >= concurrency) await Promise.race(inFlight);
        const p = one(i).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    } else await limited(count, concurrency, one);
    await receiver.waitFor(() => ids, 900_000);
    const latencies = ids.map((id) => receiver.arrived.get(id)! - submitted.get(id)!);
    const last = Math.max(...ids.map((id) => receiver.arrived.get(id)!));
    const stats = summarize(latencies, last - first);
    const seconds = (last - first) / 1000;
    return kind === 'burst'
      ? {
          events: count,
          latency: stats,
          deliveriesPerSecond: count / seconds,
          submittedPerSecond: count / ((lastSubmitted - first) / 1000),
          seconds,
        }
      : { events: count, latency: stats, ratePerSecond };
  };
  // a few unmeasured ones first (connections, JIT, plans)
  for (let i = 0; i < 3; i++) {
    const id = await runner.submit(1_000_000 + i);
    await receiver.waitFor(() => [id], 30_000);
  }
  log(`case: webhooks, ${name}: burst of ${events} events, concurrency ${concurrency}`);
  const burst = await phase('burst', events, 0, maxRatePerSecond);
  // paced below what the path sustains (half its burst rate, at most the given rate), so latency is not queueing
  const rate = Math.min(maxRatePerSecond, Math.max(0.2, burst.deliveriesPerSecond! / 2));
  const count = Math.max(10, Math.min(paced, Math.round(rate * 60)));
  log(`case: webhooks, ${name}: ${count} events paced at ${rate.toPrecision(3)}/s`);
  const pacedPhase = await phase('paced', count, events, rate);
  log(
    `  latency p50 ${ms(pacedPhase.latency.p50)} p99 ${ms(pacedPhase.latency.p99)}; burst ${perSecond(burst.deliveriesPerSecond, 'deliveries/s')}`,
  );
  return { name, paced: pacedPhase, burst };
}

const eventPayload = (contactId: string, i: number) => ({
  id: contactId,
  changedFields: ['jobTitle'],
  changes: { jobTitle: { before: `Engineer ${i}`, after: `Staff Engineer ${i}` } },
});

async function makeEndpoint(orm: Orm, workspaceId: string, url: string): Promise<{ id: string; secret: string }> {
  return withWorkspace(orm, workspaceId, async (em) => {
    const ctx = await requestContextAs(em, workspaceId, null);
    const { endpoint, secret } = await createEndpoint(em, ctx.principal, { url, eventTypes: ['contact.*'] }, webhookSettingsOf(orm));
    return { id: endpoint.id, secret };
  });
}

export async function runAutomationCases(url: string, opts: AutomationOptions): Promise<AutomationResult> {
  const database = await openAppDatabase({ url, poolMax: 10 });
  const queue = await openAppQueue(database, url, { poolMax: 4 });
  await database.closeOwner();
  const orm = database.orm;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: url,
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  });
  // the app's webhook settings from its configuration (WEBHOOK_ALLOWED_HOSTS lets the loopback receiver in)
  attachWebhookSettings(orm, webhookSettingsFrom(config));
  const result: AutomationResult = { matching: { error: 'not run' }, webhooks: { error: 'not run' } };
  try {
    try {
      result.matching = await runMatching(orm, client, opts);
    } catch (error) {
      result.matching = { error: (error as Error).message };
      log(`matching case failed: ${result.matching.error}`);
    }
    try {
      result.webhooks = await runWebhooks(orm, client, queue, config, opts);
    } catch (error) {
      result.webhooks = { error: (error as Error).message };
      log(`webhook case failed: ${result.webhooks.error}`);
    }
  } finally {
    await client.end();
    await queue.stop();
    await database.close();
  }
  return result;
}

async function runWebhooks(
  orm: Orm,
  client: pg.Client,
  queue: Awaited<ReturnType<typeof openAppQueue>>,
  config: ReturnType<typeof loadConfig>,
  opts: AutomationOptions,
): Promise<WebhookResult> {
  const concurrency = opts.concurrency ?? 4;
  const events = opts.events ?? 500;
  const paced = opts.pacedEvents ?? 200;
  const ratePerSecond = 40;
  const shape = { events, paced, ratePerSecond, concurrency };
  const receiver = await new BenchReceiver().start();
  try {
    // floor: sign the same payload as the app would send it and POST it, nothing else
    const floorWorkspace = randomUUID();
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const signer = new Webhook(secret);
    const signed = (i: number) => {
      const id = randomUUID();
      const now = new Date();
      const body = JSON.stringify({
        id,
        type: 'contact.updated',
        timestamp: now.toISOString(),
        workspaceId: floorWorkspace,
        data: eventPayload(floorWorkspace, i),
      });
      const messageId = randomUUID();
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'bench-floor',
        'webhook-id': messageId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signer.sign(messageId, now, body),
      };
      return { id, body, headers };
    };
    const floor = await runPath(
      'floor: standardwebhooks sign + fetch POST (keep-alive)',
      {
        submitDelivers: true,
        async submit(i) {
          const { id, body, headers } = signed(i);
          const response = await fetch(receiver.url('/floor'), { method: 'POST', headers, body });
          await response.arrayBuffer();
          if (!response.ok) throw new Error(`floor POST answered ${response.status}`);
          return id;
        },
      },
      receiver,
      shape,
    );
    const floorNewConnection = await runPath(
      'floor: sign + node:http POST, new connection each (agent: false, as the app)',
      {
        submitDelivers: true,
        submit(i) {
          const { id, body, headers } = signed(i);
          return new Promise<string>((resolve, reject) => {
            const request = httpRequest(
              receiver.url('/floor-new'),
              { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: false },
              (response) => {
                response.resume();
                response.on('end', () => (response.statusCode === 200 ? resolve(id) : reject(new Error(`HTTP ${response.statusCode}`))));
              },
            );
            request.on('error', reject);
            request.end(body);
          });
        },
      },
      receiver,
      shape,
    );

    // direct: what the outbox worker's fan-out and the queue's attempt job call, inline, without polling
    let direct: DeliveryPath | { error: string };
    const directWorkspace = await insertWorkspace(client, 'Bench webhooks direct');
    try {
      const contactId = await insertContact(client, directWorkspace);
      await makeEndpoint(orm, directWorkspace, receiver.url('/direct'));
      direct = await runPath(
        'direct (insert event, fanOutEvent, attemptWebhookDelivery)',
        {
          submitDelivers: true,
          async submit(i) {
            const payload = eventPayload(contactId, i);
            const [id] = await withWorkspace(orm, directWorkspace, (em) =>
              insertEvents(em, [{ workspaceId: directWorkspace, type: 'contact.updated', payload }]),
            );
            const event: DomainEvent = {
              id: id!,
              type: 'contact.updated',
              workspaceId: directWorkspace,
              occurredAt: new Date(),
              actor: { userId: null, apiKeyId: null },
              payload,
            };
            const deliveries = await withWorkspace(orm, directWorkspace, (em) => fanOutEvent(em, event));
            for (const delivery of deliveries) {
              const outcome = await attemptWebhookDelivery(orm, delivery.id, new Date());
              if (outcome.outcome !== 'succeeded') throw new Error(`attempt ${outcome.outcome}: ${outcome.error ?? ''}`);
            }
            return id!;
          },
        },
        receiver,
        shape,
      );
    } catch (error) {
      direct = { error: (error as Error).message };
      log(`direct webhook path failed: ${direct.error}`);
    }
    // the direct path's events must not reach the queue path's outbox worker
    await client.query('delete from outbox_delivery where workspace_id = $1', [directWorkspace]);

    // the real queue: the app (its fan-out subscriber, its webhook jobs) with an outbox worker, as the server runs them
    let viaQueue: DeliveryPath | { error: string };
    const app = await createApp({
      orm,
      config,
      logger: createLogger(config),
      queue,
      workWebhooks: true,
      workAutomation: false,
    });
    const outbox = new OutboxWorker({
      orm,
      pollMs: config.OUTBOX_POLL_MS,
      concurrency: config.OUTBOX_CONCURRENCY,
      backoffBaseMs: config.OUTBOX_BACKOFF_BASE_MS,
      leaseMarginMs: config.OUTBOX_LEASE_MARGIN_MS,
    }).start();
    try {
      const queueWorkspace = await insertWorkspace(client, 'Bench webhooks queue');
      const contactId = await insertContact(client, queueWorkspace);
      await makeEndpoint(orm, queueWorkspace, receiver.url('/queue'));
      viaQueue = await runPath(
        `queue (outbox worker poll ${config.OUTBOX_POLL_MS} ms → fan-out → pg-boss attempt job → attemptWebhookDelivery)`,
        {
          submitDelivers: false,
          async submit(i) {
            const [id] = await withWorkspace(orm, queueWorkspace, (em) =>
              insertEvents(em, [{ workspaceId: queueWorkspace, type: 'contact.updated', payload: eventPayload(contactId, i) }]),
            );
            return id!;
          },
        },
        receiver,
        shape,
      );
    } catch (error) {
      viaQueue = { error: (error as Error).message };
      log(`queue webhook path failed: ${viaQueue.error}`);
    } finally {
      await outbox.stop(5000);
      await app.close();
    }
    const floorRate = floor.burst.deliveriesPerSecond!;
    const ours = 'error' in viaQueue ? null : viaQueue.burst.deliveriesPerSecond! / floorRate;
    return {
      concurrency,
      pacedRatePerSecond: ratePerSecond,
      floor,
      floorNewConnection,
      direct,
      queue: viaQueue,
      target: {
        description: 'queue path deliveries/s ≥ 0.7× the floor’s',
        met: ours === null ? null : ours >= 0.7,
      },
    };
  } finally {
    await receiver.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// report

export function renderAutomation(result: AutomationResult): string {
  const lines: string[] = [];
  const m = result.matching;
  if ('error' in m) lines.push(`Automation rule matching: failed (${m.error})`);
  else {
    lines.push(
      `Automation rule matching: ${m.rules.toLocaleString('en-US')} enabled rules in one workspace, one contact; each iteration in a workspace transaction rolled back (${m.engine.iterations} iterations)`,
    );
    lines.push('');
    lines.push('| case | p50 | p95 | p99 | floor p50 | floor p99 | ratio (p50) |');
    lines.push('|---|---|---|---|---|---|---|');
    lines.push(
      `| startRunsForEvent, contact.updated (${m.candidates} candidates, ${m.started} runs started) | ${ms(m.engine.p50)} | ${ms(m.engine.p95)} | ${ms(m.engine.p99)} | ${ms(m.floor.p50)} | ${ms(m.floor.p99)} | ${m.ratio.toFixed(1)}× |`,
    );
    lines.push(
      `| startRunsForEvent, contact.restored (0 of ${m.rules.toLocaleString('en-US')} rules) | ${ms(m.noMatch.engine.p50)} | ${ms(m.noMatch.engine.p95)} | ${ms(m.noMatch.engine.p99)} | ${ms(m.noMatch.floor.p50)} | ${ms(m.noMatch.floor.p99)} | ${m.noMatch.ratio.toFixed(1)}× |`,
    );
    lines.push('');
    lines.push(
      'Floor: the candidate lookup statement alone (rules joined to their current version, GIN on trigger_keys), same transaction.',
    );
    lines.push(`Target: ${m.target.description}: ${m.target.met ? 'met' : 'NOT met'} (p99 ${ms(m.engine.p99)})`);
  }
  lines.push('');
  const w = result.webhooks;
  if ('error' in w) lines.push(`Event → webhook delivered: failed (${w.error})`);
  else {
    lines.push(
      `Event → webhook delivered to a loopback receiver (answers 200, verifies nothing): a burst for deliveries/s, then events paced at half that rate (at most ${w.pacedRatePerSecond}/s) for latency; concurrency ${w.concurrency} on every path`,
    );
    lines.push('');
    lines.push(
      '| path | burst events | submitted/s | deliveries/s | × floor | burst latency p50 | p99 | paced events (rate) | latency p50 | p95 | p99 |',
    );
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
    const floorRate = w.floor.burst.deliveriesPerSecond!;
    for (const path of [w.queue, w.direct, w.floor, w.floorNewConnection]) {
      if ('error' in path) {
        lines.push(`| ${path === w.queue ? 'queue' : 'direct'} | error: ${path.error.replace(/\|/g, '\\|')} | | | | | | | | | |`);
        continue;
      }
      lines.push(
        `| ${path.name} | ${path.burst.events} | ${perSecond(path.burst.submittedPerSecond, '/s')} | ${perSecond(path.burst.deliveriesPerSecond, '/s')} | ${(path.burst.deliveriesPerSecond! / floorRate).toFixed(3)}× | ${ms(path.burst.latency.p50)} | ${ms(path.burst.latency.p99)} | ${path.paced.events} (${path.paced.ratePerSecond?.toPrecision(3)}/s) | ${ms(path.paced.latency.p50)} | ${ms(path.paced.latency.p95)} | ${ms(path.paced.latency.p99)} |`,
      );
    }
    lines.push('');
    lines.push(
      'Submitted/s: how fast the burst was handed in (queue path: events written to the outbox, one transaction each, at the same concurrency): the queue path cannot deliver faster than events are written. Latency: from the event insert (for the floor: from signing) to the receiver having the POST. × floor: deliveries/s over the keep-alive floor’s (the target’s floor). The app sends each attempt on a new connection (agent: false, SSRF-pinned lookup), hence the second floor.',
    );
    lines.push(`Target: ${w.target.description}: ${w.target.met === null ? 'not measured' : w.target.met ? 'met' : 'NOT met'}`);
  }
  return lines.join('\n');
}
