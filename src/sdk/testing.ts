import 'reflect-metadata'; // as the SDK does: decorator metadata before the kernel's decorated classes load
import { randomUUID } from 'node:crypto';
import type { PluginManifest } from '../plugin-host/manifest.js';

/**
 * The plugin contract test kit: takes a plugin through install → enable → use → disable → re-enable → uninstall
 * against a real database (in-memory PGlite, or PostgreSQL when `TEST_DATABASE_URL` is set: then in a fresh database
 * of its own, created beside that one and dropped at the end), through the real HTTP and GraphQL stack.
 *
 * The entry point `crm-kernel/sdk/testing`, apart from `crm-kernel/sdk` so that plugins do not load test code. It runs
 * under any test runner: `runPluginContract` is a plain async function that throws on the first broken promise;
 * `describePluginContract` declares it as jest or vitest tests and uses only the globals `describe`, `it` and
 * `afterAll`, read from `globalThis` when it is called (vitest: `globals: true`). The kernel is imported lazily, when
 * a server starts, so importing the kit stays cheap.
 *
 * Uninstall means, here and for the host: the plugin is disabled in the workspace, its optional `onUninstall` runs in
 * the workspace (a transaction under row-level security), then the host removes that workspace's rows of the
 * plugin's entities, its timeline entries and links, custom field definitions on its types, its deliveries and job
 * runs (src/plugin-host/modules/uninstall-data.ts); other workspaces keep theirs, and the tables themselves (its
 * migrations) stay while the plugin is installed anywhere. `uninstallRemovesData: false` skips the check.
 */

export interface GraphQLResult<T = any> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** A signed-in GraphQL client: every request acts as one member of one workspace. */
export interface GraphQLClient {
  headers: Record<string, string>;
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>>;
  /** Like gql, but throws on any GraphQL error and returns `data`. */
  ok<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export interface PluginTestWorkspace extends GraphQLClient {
  id: string;
  userId: string;
  /** A new member (default role SALES: only the kernel's default grants) with a signed-in client. */
  addMember(name: string, role?: 'OWNER' | 'ADMIN' | 'SALES' | 'READ_ONLY'): Promise<GraphQLClient & { id: string }>;
  /** Enables or disables a plugin here through `enableModule` / `disableModule` (throws on user errors). */
  enable(pluginId: string): Promise<void>;
  disable(pluginId: string): Promise<void>;
}

export interface PluginTestServer {
  /** The database owner (PostgreSQL: not under row-level security), for setup and assertions. A MikroORM instance. */
  orm: any;
  /** The ORM the API serves with (PostgreSQL: the application role under row-level security; PGlite: `orm`). */
  appOrm: any;
  /** The app (`createApp`): `app.http` is the Fastify instance. */
  app: any;
  /** Installed plugins in dependency order. */
  plugins: PluginManifest[];
  /** Anonymous GraphQL request (or with the given headers). */
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResult<T>>;
  /** A fresh workspace with a signed-in ADMIN member (admins hold every registered permission). */
  newWorkspace(): Promise<PluginTestWorkspace>;
  /** Names of the migrations applied when the server started. */
  applied: string[];
  /** The job queue when `jobQueue` was asked for (`jobQueue.boss` is pg-boss: `getSpy(name)`, `findJobs(name)`). */
  jobQueue: any;
  /** Starts delivering domain events to subscribers (an outbox worker on `appOrm`; stopped by `close`). */
  startOutboxWorker(options?: { pollMs?: number; backoffBaseMs?: number }): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

export interface PluginServerOptions {
  /** PostgreSQL URL; default `TEST_DATABASE_URL`; `null` or unset: in-memory PGlite. */
  databaseUrl?: string | null;
  /** PostgreSQL: create a database of its own beside `databaseUrl`'s (dropped on close; default true). Needs CREATEDB. */
  freshDatabase?: boolean;
  /** Extra configuration (environment variables, see README "Configuration"). */
  env?: Record<string, string>;
  /**
   * A job queue for the server: the plugins' `jobs` are scheduled on it and (unless `work: false`) run. Pass pg-boss's
   * `TestClock` as `clock` and move time with it (`tickUntil`): delays, schedules and retries fire without waiting.
   * `automation: true` runs automation rules too (the plugin's default rules, actions it contributes); off by default,
   * as their time triggers look at every workspace of the database. `webhooks: true` / `email: true` send webhook
   * deliveries and queued email (set `WEBHOOK_ALLOWED_HOSTS` / `SMTP_URL` in `env` for local receivers).
   */
  jobQueue?: { clock?: TestClockLike; work?: boolean; automation?: boolean; webhooks?: boolean; email?: boolean };
}

/** pg-boss's `TestClock` (`import { TestClock } from 'pg-boss'`), as far as the kit uses it. */
export interface TestClockLike {
  now(): number;
  tick(ms: number): Promise<void>;
  setTime(t: number | Date): Promise<void>;
}

/**
 * Settles when `check` holds, checked again and again as the work it waits for happens (not after a set time): pass it
 * to `tickUntil` to wait for something the queue does on the test clock.
 */
export function until(check: () => Promise<boolean>): Promise<void> {
  return new Promise((resolve, reject) => {
    const poll = () => check().then((ok) => (ok ? resolve() : setTimeout(poll, 10)), reject);
    poll();
  });
}

/**
 * Moves `clock` forward `stepMs` at a time (default 15 s) until `done` settles, and returns its value — e.g.
 * `tickUntil(clock, server.jobQueue.boss.getSpy(name).waitForJobWithId(id, 'completed'))`. Workers poll on the clock's
 * timers; a step replays every poll it passes, so prefer `clock.setTime` for long jumps.
 */
export async function tickUntil<T>(clock: TestClockLike, done: Promise<T>, stepMs = 15_000, maxSteps = 400): Promise<T> {
  let settled = false;
  const watched = done.finally(() => {
    settled = true;
  });
  for (let i = 0; i < maxSteps && !settled; i++) {
    await clock.tick(stepMs);
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!settled) throw new Error(`tickUntil: not settled after ${maxSteps} steps of ${stepMs} ms`);
  return watched;
}

/** The server each contract's stage list started (closed by `closeStages`). */
const servers = new WeakMap<ContractStage[], PluginTestServer>();

/**
 * Starts the API with the given plugins installed, as `serve()` does: validated together (the same refusals as at
 * start-up), their permissions, hooks and subscribers registered, their entities registered and migrations applied.
 * Dependencies must be passed too. Each workspace enables what it uses.
 */
export async function startPluginServer(plugins: PluginManifest[], options: PluginServerOptions = {}): Promise<PluginTestServer> {
  const [{ validatePlugins }, installSteps, { allMigrations, pluginEntities }, { kernelFacts }, db, http, cfg, log] = await Promise.all([
    import('../plugin-host/load-plugins.js'),
    import('../plugin-host/install-plugins.js'),
    import('../plugin-host/plugin-migrations.js'),
    import('../app/kernel-facts.js'),
    import('../app/database.js'),
    import('../app/http-app.js'),
    import('../config.js'),
    import('../logger.js'),
  ]);
  const loaded = validatePlugins(
    plugins.map((manifest) => ({ manifest, source: `sdk/testing:${(manifest as { id?: string }).id ?? '?'}`, builtin: false })),
    kernelFacts(),
  );
  const baseUrl = options.databaseUrl === undefined ? process.env.TEST_DATABASE_URL : (options.databaseUrl ?? undefined);
  let url = baseUrl || undefined;
  let dropDatabase: (() => Promise<void>) | null = null;
  if (url && options.freshDatabase !== false) {
    const name = `${new URL(url).pathname.slice(1)}_${loaded.at(-1)?.id ?? 'kernel'}_${randomUUID().slice(0, 6)}`
      .replace(/[^a-z0-9_]/gi, '_')
      .slice(0, 63);
    const created = await recreateDatabase(url, name);
    url = created.url;
    dropDatabase = created.drop;
  }
  const config = cfg.loadConfig({ NODE_ENV: 'test', ...(url ? { DATABASE_URL: url } : {}), ...options.env });
  const logger = log.createLogger(config);
  let database: Awaited<ReturnType<typeof db.openAppDatabase>>;
  try {
    database = await db.openAppDatabase({ url, poolMax: 4, pluginEntities: pluginEntities(loaded), migrations: allMigrations(loaded) });
  } catch (error) {
    await dropDatabase?.();
    throw error;
  }
  const orm = database.owner;
  const manifests = loaded.map((p) => p.manifest);
  await installSteps.runInstallSteps(orm, manifests);
  const jobQueue = options.jobQueue
    ? await db.openAppQueue(database, url, { clock: options.jobQueue.clock as never, poolMax: 2, spies: true, logger })
    : undefined;
  const app = await http.createApp({
    orm: database.orm,
    config: options.jobQueue?.work === false ? { ...config, JOB_RUNNER: false } : config,
    logger,
    plugins: manifests,
    queue: jobQueue,
    workAutomation: options.jobQueue?.automation ?? false,
    workWebhooks: options.jobQueue?.webhooks ?? false,
    workEmail: options.jobQueue?.email ?? false,
    // recovering at start would pick up other test files' due deliveries on a shared database
    recoverWebhooks: false,
  });

  const gql = async (query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResult> => {
    const response = await app.http.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify({ query, variables }),
    });
    return JSON.parse(response.body) as GraphQLResult;
  };
  const client = (headers: Record<string, string>): GraphQLClient => ({
    headers,
    gql: (query, variables) => gql(query, variables, headers),
    async ok(query, variables) {
      const res = await gql(query, variables, headers);
      if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors, null, 2)}`);
      return res.data;
    },
  });

  const workers: { stop(graceMs?: number): Promise<void> }[] = [];
  const server: PluginTestServer = {
    jobQueue,
    async startOutboxWorker(workerOptions = {}) {
      const { OutboxWorker } = await import('../events/outbox-worker.js');
      const worker = new OutboxWorker({ orm: database.orm, pollMs: 20, backoffBaseMs: 20, leaseMarginMs: 1000, ...workerOptions }).start();
      workers.push(worker);
      return { stop: () => worker.stop(1000) };
    },
    orm,
    appOrm: database.orm,
    app,
    plugins: manifests,
    applied: database.applied,
    gql,
    async newWorkspace() {
      const [{ Workspace }, { User }, { Membership, MembershipRole }, { issueSession }] = await Promise.all([
        import('../core/workspaces/workspace.entity.js'),
        import('../core/identity/user.entity.js'),
        import('../core/identity/membership.entity.js'),
        import('../core/auth/auth.module.js'),
      ]);
      const em = orm.em.fork();
      const slug = `p-${randomUUID().slice(0, 12)}`;
      const workspace = em.create(Workspace, { name: `Plugin test ${slug}`, slug });
      const user = em.create(User, { email: `admin@${slug}.test`, name: 'Ada Admin' });
      em.create(Membership, { workspaceId: workspace.id, userId: user.id, role: MembershipRole.ADMIN });
      await em.flush();
      const signIn = async (userId: string) => {
        const tokens = await issueSession(orm.em.fork() as never, { workspaceId: workspace.id, userId }, config);
        return { authorization: `Bearer ${tokens.accessToken}` };
      };
      const admin = client(await signIn(user.id));
      const toggle = async (id: string, enable: boolean) => {
        const field = enable ? 'enableModule' : 'disableModule';
        const data = await admin.ok(
          `mutation($id: ID!) { ${field}(input: { id: $id }) { module { id enabled } userErrors { field message code } } }`,
          { id },
        );
        const payload = data[field] as { module: { enabled: boolean } | null; userErrors: { message: string }[] };
        if (payload.userErrors.length || payload.module?.enabled !== enable) {
          throw new Error(`${field}(${id}) refused: ${payload.userErrors.map((e) => e.message).join('; ') || 'module not toggled'}`);
        }
      };
      return {
        ...admin,
        id: workspace.id,
        userId: user.id,
        async addMember(name, role = 'SALES') {
          const fork = orm.em.fork();
          const member = fork.create(User, {
            email: `${name.toLowerCase().replace(/\W+/g, '.')}.${randomUUID().slice(0, 6)}@${slug}.test`,
            name,
          });
          fork.create(Membership, { workspaceId: workspace.id, userId: member.id, role: role as never });
          await fork.flush();
          return { ...client(await signIn(member.id)), id: member.id };
        },
        enable: (id) => toggle(id, true),
        disable: (id) => toggle(id, false),
      };
    },
    async close() {
      for (const worker of workers.splice(0)) await worker.stop(1000);
      await app.close();
      await jobQueue?.stop();
      await database.close();
      await dropDatabase?.();
    },
  };
  return server;
}

/** (Re)creates the database `name` on `url`'s server (through its `postgres` database); returns its URL and a drop. */
export async function recreateDatabase(url: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import('pg');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await run(`drop database if exists "${name}" with (force)`);
  await run(`create database "${name}"`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return { url: target.toString(), drop: () => run(`drop database if exists "${name}" with (force)`) };
}

// ——— the contract ———

export interface PluginContractContext {
  server: PluginTestServer;
  /** The workspace the plugin is enabled in; its admin's signed-in client (plus `addMember`). */
  workspace: PluginTestWorkspace;
}

export interface PluginContractOptions {
  /** Plugins it depends on: installed with it and enabled first. */
  dependencies?: PluginManifest[];
  /**
   * The plugin in use, while enabled: call its operations, write data. May return a check that runs again after
   * disable → re-enable (the same data must be back).
   */
  use?: (context: PluginContractContext) => Promise<void | ((context: PluginContractContext) => Promise<void>)>;
  /** Whether uninstalling removes the workspace's rows of the plugin's entities (default true; see the module doc). */
  uninstallRemovesData?: boolean;
  server?: PluginServerOptions;
}

export interface ContractStage {
  name: string;
  run(): Promise<void>;
}

interface SchemaShape {
  types: Set<string>;
  fields: Set<string>;
}

const SHAPE = `{ __schema { types { name fields { name } inputFields { name } enumValues { name } } } }`;

async function schemaShape(client: GraphQLClient): Promise<SchemaShape> {
  const data = await client.ok<{
    __schema: {
      types: {
        name: string;
        fields: { name: string }[] | null;
        inputFields: { name: string }[] | null;
        enumValues: { name: string }[] | null;
      }[];
    };
  }>(SHAPE);
  const types = new Set<string>();
  const fields = new Set<string>();
  for (const type of data.__schema.types) {
    types.add(type.name);
    for (const f of [...(type.fields ?? []), ...(type.inputFields ?? []), ...(type.enumValues ?? [])]) fields.add(`${type.name}.${f.name}`);
  }
  return { types, fields };
}

const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Plugin contract: ${message}`);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The contract's stages, in order, sharing one server: each throws on a broken promise. Run them in order
 * (`runPluginContract`) or one test each (`describePluginContract`).
 */
export function pluginContractStages(plugin: PluginManifest, options: PluginContractOptions = {}): ContractStage[] {
  let server: PluginTestServer | null = null;
  let workspace: PluginTestWorkspace;
  let kernelShape: SchemaShape;
  let added: { types: string[]; fields: string[] } = { types: [], fields: [] };
  let rowsAfterUse: Record<string, unknown[]> = {};
  let recheck: ((context: PluginContractContext) => Promise<void>) | void;
  const deps = options.dependencies ?? [];
  const need = () => {
    assert(server, 'install did not complete');
    return server;
  };

  /** The plugin's tables (from its entities' metadata) that have a workspace_id column. */
  const tables = () => {
    const metadata = need().orm.getMetadata();
    return (plugin.entities ?? [])
      .map((entity) => metadata.find(entity.name) ?? metadata.get(entity))
      .map((meta: { tableName: string }) => meta.tableName);
  };
  /** Every row of the plugin's tables in the workspace, ordered by id (the plugin's data, for "kept" checks). */
  const primaryKeyColumns = new Map<string, string[]>();
  const rowsOf = async (workspaceId: string, outside = false) => {
    if (!primaryKeyColumns.size) {
      const metadata = need().orm.getMetadata();
      for (const entity of plugin.entities ?? []) {
        const meta = (metadata.find(entity.name) ?? metadata.get(entity)) as {
          tableName: string;
          primaryKeys: string[];
          properties: Record<string, { fieldNames: string[] }>;
        };
        primaryKeyColumns.set(
          meta.tableName,
          meta.primaryKeys.flatMap((pk) => meta.properties[pk]!.fieldNames),
        );
      }
    }
    const conn = need().orm.em.getConnection();
    const result: Record<string, unknown[]> = {};
    for (const table of tables()) {
      // ordered by the primary key (composite keys too: pivot tables have no id column)
      const key = primaryKeyColumns
        .get(table)!
        .map((c) => `"${c}"`)
        .join(', ');
      result[table] = await conn.execute(`select * from "${table}" where workspace_id ${outside ? '<>' : '='} ? order by ${key}`, [
        workspaceId,
      ]);
    }
    return result;
  };

  const stages: ContractStage[] = [
    {
      name: 'install: validated with the kernel, migrations applied and tracked, entities registered, schema matches them',
      async run() {
        server = await startPluginServer([...deps, plugin], options.server);
        servers.set(stages, server);
        const executed = new Set(((await server.orm.migrator.getExecuted()) as { name: string }[]).map((m) => m.name));
        for (const m of plugin.migrations ?? [])
          assert(executed.has(`${plugin.id}:${m.name}`), `migration ${plugin.id}:${m.name} was not applied`);
        const metadata = server.orm.getMetadata();
        for (const entity of plugin.entities ?? []) assert(metadata.find(entity.name), `entity ${entity.name} is not registered`);
        const diff = String(await server.orm.schema.getUpdateSchemaSQL({ wrap: false })).trim();
        assert(diff === '', `the migrations do not create what the entities declare; the schema diff is:\n${diff}`);
        if (server.orm.config.get('clientUrl')) {
          // PostgreSQL: every table of the plugin with a workspace_id column is under row-level security
          for (const table of tables()) {
            const [row] = await server.orm.em.getConnection().execute(
              `select c.relrowsecurity and c.relforcerowsecurity as rls,
                exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'workspace_id' and not a.attisdropped) as tenant
                from pg_class c where c.oid = to_regclass(?)`,
              [`"${table}"`],
            );
            assert(row, `table ${table} of entity metadata does not exist`);
            assert(
              !row.tenant || row.rls,
              `table ${table} has a workspace_id column but no row-level security: add this.addSql(tenantRlsSql('${table}')) to the migration`,
            );
          }
        }
        // the host ran onInstall once, recording the installation
        const installed = await server.orm.em
          .getConnection()
          .execute(`select version from installed_plugin where plugin_id = ?`, [plugin.id]);
        assert(
          installed[0]?.version === plugin.version,
          `the installation of ${plugin.id} ${plugin.version} is not recorded in installed_plugin`,
        );
      },
    },
    {
      name: 'enable: the workspace schema gains the plugin types and fields (introspection); the module shows as enabled',
      async run() {
        const s = need();
        workspace = await s.newWorkspace();
        kernelShape = await schemaShape(workspace);
        for (const dep of deps) await workspace.enable(dep.id);
        const withDeps = await schemaShape(workspace);
        await workspace.enable(plugin.id);
        const enabled = await schemaShape(workspace);
        added = { types: minus(enabled.types, withDeps.types), fields: minus(enabled.fields, withDeps.fields) };
        assert(
          !plugin.resolvers?.length || added.fields.length > 0,
          'the plugin has resolvers but enabling it added no field to the schema',
        );
        const { modules } = await workspace.ok<{ modules: { id: string; enabled: boolean }[] }>(`{ modules { id enabled } }`);
        assert(modules.find((m) => m.id === plugin.id)?.enabled === true, 'modules does not show the plugin enabled');
        // another workspace is untouched
        const other = await s.newWorkspace();
        const otherShape = await schemaShape(other);
        assert(minus(otherShape.fields, kernelShape.fields).length === 0, 'enabling in one workspace changed another workspace’s schema');
      },
    },
    {
      name: 'use: the plugin author’s operations, as a signed-in admin of the workspace',
      async run() {
        recheck = await options.use?.({ server: need(), workspace });
        rowsAfterUse = await rowsOf(workspace.id);
      },
    },
    {
      name: 'disable: its types and fields are gone, operations naming them are answered MODULE_DISABLED, the data stays',
      async run() {
        await workspace.disable(plugin.id);
        const shape = await schemaShape(workspace);
        const left = [...added.types.filter((t) => shape.types.has(t)), ...added.fields.filter((f) => shape.fields.has(f))];
        assert(left.length === 0, `still in the schema after disableModule: ${left.join(', ')}`);
        for (const root of ['Query', 'Mutation'] as const) {
          for (const field of added.fields.filter((f) => f.startsWith(`${root}.`)).map((f) => f.slice(root.length + 1))) {
            const res = await workspace.gql(`${root === 'Query' ? 'query' : 'mutation'} { ${field} { __typename } }`);
            assert(
              res.errors?.some(
                (e) => e.extensions?.code === 'MODULE_DISABLED' && e.extensions?.module === plugin.id && e.message.includes(field),
              ),
              `${root}.${field} was not answered with MODULE_DISABLED (module ${plugin.id}) once disabled: ${JSON.stringify(res)}`,
            );
          }
        }
        assert(same(await rowsOf(workspace.id), rowsAfterUse), 'disabling changed the plugin’s rows');
      },
    },
    {
      name: 're-enable: the same types, fields and data are back',
      async run() {
        await workspace.enable(plugin.id);
        const shape = await schemaShape(workspace);
        const missing = [...added.types.filter((t) => !shape.types.has(t)), ...added.fields.filter((f) => !shape.fields.has(f))];
        assert(missing.length === 0, `missing after re-enabling: ${missing.join(', ')}`);
        assert(same(await rowsOf(workspace.id), rowsAfterUse), 'the plugin’s rows differ after disable → re-enable');
        if (recheck) await recheck({ server: need(), workspace });
      },
    },
    {
      name: 'uninstall (uninstallModule): disabled, onUninstall (if any) runs, the host removes its rows in the workspace (other workspaces keep theirs)',
      async run() {
        const elsewhere = await rowsOf(workspace.id, true);
        const data = await workspace.ok(
          `mutation($id: ID!) { uninstallModule(input: { id: $id }) { module { id enabled } userErrors { message } } }`,
          { id: plugin.id },
        );
        assert(
          data.uninstallModule.userErrors.length === 0 && data.uninstallModule.module.enabled === false,
          `uninstallModule refused: ${JSON.stringify(data.uninstallModule)}`,
        );
        if (options.uninstallRemovesData !== false) {
          const left = Object.entries(await rowsOf(workspace.id)).filter(([, rows]) => rows.length);
          assert(left.length === 0, `rows left after uninstall: ${left.map(([t, rows]) => `${t} (${rows.length})`).join(', ')}`);
        }
        assert(same(await rowsOf(workspace.id, true), elsewhere), 'uninstalling in one workspace changed other workspaces’ rows');
        const shape = await schemaShape(workspace);
        assert(
          minus(shape.fields, kernelShape.fields).filter((f) => added.fields.includes(f)).length === 0,
          'the plugin’s fields are still served after uninstall',
        );
      },
    },
  ];
  return stages;
}

/** Runs the whole contract; throws on the first broken promise. Closes the server it started. */
export async function runPluginContract(plugin: PluginManifest, options: PluginContractOptions = {}): Promise<void> {
  const stages = pluginContractStages(plugin, options);
  try {
    for (const stage of stages) await stage.run();
  } finally {
    await closeStages(stages);
  }
}

/** Closes the server a stage list started (if it did). */
export async function closeStages(stages: ContractStage[]): Promise<void> {
  const server = servers.get(stages);
  servers.delete(stages);
  await server?.close();
}

/** The test runner globals `describePluginContract` uses (jest's and vitest's share these signatures). */
interface TestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>, timeout?: number): void;
  afterAll(body: () => Promise<void>): void;
}

/** The runner's `describe`, `it` and `afterAll`, from `globalThis` at call time (src is compiled without their types). */
function testApi(): TestApi {
  const api = globalThis as Partial<Record<keyof TestApi, unknown>>;
  const missing = (['describe', 'it', 'afterAll'] as const).filter((name) => typeof api[name] !== 'function');
  if (missing.length) {
    throw new Error(
      `describePluginContract needs the test runner globals ${missing.join(', ')} (jest; vitest with globals: true); elsewhere call runPluginContract`,
    );
  }
  return api as TestApi;
}

/**
 * Declares the contract as tests (jest, vitest: uses the globals `describe`, `it` and `afterAll`), one per stage, in
 * order. A stage after a failed one fails too.
 */
export function describePluginContract(plugin: PluginManifest, options: PluginContractOptions & { timeoutMs?: number } = {}): void {
  const api = testApi();
  api.describe(`plugin contract: ${plugin.id}`, () => {
    const stages = pluginContractStages(plugin, options);
    api.afterAll(() => closeStages(stages));
    for (const stage of stages) api.it(stage.name, () => stage.run(), options.timeoutMs ?? 60_000);
  });
}
