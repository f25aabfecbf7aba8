import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openAppDatabase, openAppQueue } from '../../src/app/database.js';
import type { Clock } from 'pg-boss';
import type { JobQueue } from '../../src/queue/job-queue.js';
import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver } from '@mikro-orm/sql';
import { createApp, type App } from '../../src/app/http-app.js';
import { Workspace } from '../../src/core/workspaces/workspace.entity.js';
import { User } from '../../src/core/identity/user.entity.js';
import { Membership, MembershipRole } from '../../src/core/identity/membership.entity.js';
import { issueSession } from '../../src/core/auth/auth.module.js';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { PluginManifest } from '../../src/plugin-host/manifest.js';

/** An operation: a generated typed document (test/operations/*.graphql) or a query string. */
export type Operation<T = any, V = any> = TypedDocumentNode<T, V> | string;

/** The ORM typed with its SQL driver (PGlite or PostgreSQL): `em.getConnection().execute<T>()` returns `T`. */
export type SqlOrm = MikroORM<AbstractSqlDriver>;

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
}

export interface TestServer {
  /** The database owner (PostgreSQL: a superuser, not subject to row-level security) for test setup and assertions. */
  orm: SqlOrm;
  /** The ORM the app serves with (PostgreSQL: the application role, under row-level security; PGlite: `orm`). */
  appOrm: SqlOrm;
  app: App;
  /** The app's job queue, when `startTestServer({ queue })` asked for one. */
  queue: JobQueue | undefined;
  /** Sends a GraphQL operation through the real HTTP stack. */
  gql<T = any, V = any>(query: Operation<T, V>, variables?: V, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** A fresh workspace with an admin member; tests isolate by workspace. */
  newWorkspace(): Promise<TestWorkspace>;
  /** Rows of a table in one workspace (for "nothing was written" checks). */
  count(table: string, workspaceId: string): Promise<number>;
  close(): Promise<void>;
}

export interface TestWorkspace {
  id: string;
  slug: string;
  userId: string;
  userEmail: string;
  headers: Record<string, string>;
  gql<T = any, V = any>(query: Operation<T, V>, variables?: V): Promise<GraphQLResponse<T>>;
  /** Like gql, but fails the test on any GraphQL error and returns data. */
  ok<T = any, V = any>(query: Operation<T, V>, variables?: V): Promise<T>;
  /** A new member with a signed-in session: `headers` act as that member. */
  addMember(name: string, role?: MembershipRole): Promise<{ id: string; email: string; headers: Record<string, string> }>;
}

export const databaseUrl = () => process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

export interface TestServerOptions {
  /** Extra environment for loadConfig (e.g. small rate limits, NODE_ENV=production). */
  env?: Record<string, string>;
  /** A database of the file's own (in-memory PGlite) even when TEST_DATABASE_URL is set: for tests that break the schema. */
  privateDatabase?: boolean;
  /** A database of the test's own: a PostgreSQL URL, or a PGlite data folder (backup and restore round trips). */
  database?: { url?: string; pgliteDir?: string };
  /** Installed plugins (validated, in dependency order) passed to createApp. */
  plugins?: PluginManifest[];
  /**
   * A job queue for the app (pg-boss over the test database): plugins' jobs are scheduled and, unless `work: false`,
   * run by this app. `clock` (pg-boss's TestClock) drives time: `await clock.tick(ms)`; nothing waits for real time.
   */
  queue?: { clock?: Clock; work?: boolean; webhooks?: boolean; automation?: boolean; email?: boolean; notifications?: boolean };
}

/** One database and app per test file: PGlite in memory, or the shared PostgreSQL test database. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const url = options.database ? options.database.url : options.privateDatabase ? undefined : databaseUrl();
  const config = loadConfig({ NODE_ENV: 'test', ...(url ? { DATABASE_URL: url } : {}), ...options.env });
  const logger = createLogger(config);
  // PostgreSQL: workers share the test database; the first one migrates it (under an advisory lock) and provisions
  // the application role the app then connects as, under row-level security. `orm` is the owner (a superuser here:
  // test setup and assertions see every workspace); `appOrm` is what the app serves with (the same ORM on PGlite).
  const database = await openAppDatabase({ url, pgliteDir: options.database?.pgliteDir, poolMax: 4 });
  const orm = database.owner as SqlOrm;
  const appOrm = database.orm as SqlOrm;
  // tests count the app's statements through `server.orm.config.set('onQuery', …)`
  if (appOrm !== orm) appOrm.config.set('onQuery', (sql: string, params: readonly unknown[]) => orm.config.get('onQuery')(sql, params));
  // on the shared PostgreSQL database, a file with a clock of its own gets a queue schema of its own (pg-boss keeps
  // the test clock's time in its schema)
  const queueSchema = url && options.queue?.clock ? `pgboss_t${randomUUID().replaceAll('-', '').slice(0, 12)}` : undefined;
  const queue = options.queue
    ? await openAppQueue(database, url, { clock: options.queue.clock, poolMax: 2, spies: true, logger, schema: queueSchema })
    : undefined;
  const app = await createApp({
    orm: appOrm,
    config: options.queue?.work === false ? { ...config, JOB_RUNNER: false } : config,
    logger,
    plugins: options.plugins,
    queue,
    workWebhooks: options.queue?.webhooks ?? false,
    recoverWebhooks: false,
    workAutomation: options.queue?.automation ?? false,
    workEmail: options.queue?.email ?? false,
    workNotifications: options.queue?.notifications ?? false,
  });

  const gql = async (operation: Operation, variables?: unknown, headers: Record<string, string> = {}) => {
    const query = typeof operation === 'string' ? operation : print(operation);
    const response = await app.http.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify({ query, variables }),
    });
    return JSON.parse(response.body) as GraphQLResponse;
  };

  const server: TestServer = {
    orm,
    appOrm,
    app,
    gql: gql as TestServer['gql'],
    async newWorkspace() {
      const em = orm.em.fork();
      const slug = `t-${randomUUID().slice(0, 12)}`;
      const workspace = em.create(Workspace, { name: `Test ${slug}`, slug });
      const user = em.create(User, { email: `admin@${slug}.test`, name: 'Ada Admin' });
      em.create(Membership, { workspaceId: workspace.id, userId: user.id, role: MembershipRole.ADMIN });
      await em.flush();
      // a real signed-in session, minted directly (no password needed)
      const signIn = async (userId: string) => {
        const tokens = await issueSession(orm.em.fork() as SqlEntityManager, { workspaceId: workspace.id, userId }, config);
        return { authorization: `Bearer ${tokens.accessToken}` };
      };
      const headers = await signIn(user.id);
      const ws: TestWorkspace = {
        id: workspace.id,
        slug,
        userId: user.id,
        userEmail: user.email,
        headers,
        gql: (query, variables) => gql(query, variables, headers) as never,
        async ok(query, variables) {
          const res = await gql(query, variables, headers);
          if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors, null, 2)}`);
          return res.data as never;
        },
        async addMember(name, role = MembershipRole.SALES) {
          const fork = orm.em.fork();
          const member = fork.create(User, {
            email: `${name.toLowerCase().replace(/\W+/g, '.')}.${randomUUID().slice(0, 6)}@${slug}.test`,
            name,
          });
          fork.create(Membership, { workspaceId: workspace.id, userId: member.id, role });
          await fork.flush();
          return { id: member.id, email: member.email, headers: await signIn(member.id) };
        },
      };
      return ws;
    },
    async count(table, workspaceId) {
      const rows = await orm.em
        .getConnection()
        .execute<{ n: number }[]>(`select count(*)::int as n from "${table}" where workspace_id = ?`, [workspaceId]);
      return Number(rows[0]!.n);
    },
    queue,
    async close() {
      await app.close();
      await queue?.stop();
      if (queueSchema) await orm.em.getConnection().execute(`drop schema if exists "${queueSchema}" cascade`);
      await database.close();
    },
  };
  return server;
}
