/**
 * Measures the live per-workspace schema (a script, not a test; `npm run build` first):
 *
 *   node dist/bench/live-schema.js              # in-memory PGlite
 *   DATABASE_URL=postgres://… node dist/bench/live-schema.js
 *
 * - cold build of kernel + 1 plugin (a field resolver on Contact and a query), with and without starting its ApolloServer;
 * - from `disableModule`'s response to the first response served with the new schema, in the same app (the set's
 *   schema already built, and a set seen for the first time), and in a second app on the same database (other process).
 * `npm run bench` runs it too (`measureLiveSchema()`).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { openAppDatabase } from '../src/app/database.js';
import { createApp, type App } from '../src/app/http-app.js';
import { buildAppSchema } from '../src/app/schema.js';
import { buildWorkspaceSchema } from '../src/app/schema-cache.js';
import { ContactNode } from '../src/core/customers/contact.types.js';
import { Workspace } from '../src/core/workspaces/workspace.entity.js';
import { User } from '../src/core/identity/user.entity.js';
import { Membership, MembershipRole } from '../src/core/identity/membership.entity.js';
import { issueSession } from '../src/core/auth/auth.module.js';
import { requires } from '../src/graphql/shield/rules.js';
import { permissionRegistry } from '../src/permissions/permission-registry.js';
import { definePlugin, type PluginManifest } from '../src/plugin-host/manifest.js';
import type { RequestContext } from '../src/graphql/context.js';

@Resolver(() => ContactNode)
class MeasureContactResolver {
  @FieldResolver(() => Int)
  measurePoints(@Root() _contact: unknown, @Ctx() _ctx: RequestContext) {
    return 1;
  }
}

@Resolver()
class MeasureResolver {
  @Query(() => Int)
  measureTotal() {
    return 1;
  }
}

const plugin = (id: string): PluginManifest =>
  definePlugin({
    id,
    name: `Measure ${id}`,
    version: '1.0.0',
    kernel: '^1.0.0',
    resolvers: id === 'measure' ? [MeasureContactResolver, MeasureResolver] : [],
    rules:
      id === 'measure'
        ? { Query: { measureTotal: requires('contact:read') }, types: { Contact: { measurePoints: requires('contact:read') } } }
        : {},
  });

export interface LiveSchemaNumbers {
  kernelBuildMs: number;
  coldBuildKernelPlusPluginMs: number;
  warmBuildKernelPlusPluginMs: number;
  /** Kernel + the built-in pipeline plugin (its ~40 types): the schema a default workspace is served. */
  buildKernelPlusPipelineMs: number;
  coldBuildAndApolloStartMs: number;
  disableToNewSchemaWarmMs: number[];
  disableToNewSchemaColdSetMs: number;
  otherAppConvergenceMs: number[];
}

export async function measureLiveSchema(databaseUrl = process.env.DATABASE_URL): Promise<LiveSchemaNumbers> {
  let t = performance.now();
  await buildAppSchema();
  const kernelBuildMs = performance.now() - t;
  t = performance.now();
  await buildWorkspaceSchema([plugin('measure')]);
  const coldBuildKernelPlusPluginMs = performance.now() - t;
  t = performance.now();
  await buildWorkspaceSchema([plugin('measure')]);
  const warmBuildKernelPlusPluginMs = performance.now() - t;
  // the real built-in plugin: its permissions must be registered for its shield rules
  const pipeline = (await import('../plugins/pipeline/plugin.js')).default;
  permissionRegistry.register(...(pipeline.permissions ?? []).filter((p) => !permissionRegistry.has(p.name)));
  t = performance.now();
  await buildWorkspaceSchema([{ id: pipeline.id, resolvers: pipeline.resolvers, rules: pipeline.rules }]);
  const buildKernelPlusPipelineMs = performance.now() - t;

  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
  const logger = createLogger(config);
  const database = await openAppDatabase({ url: databaseUrl, poolMax: 4 });
  // `measure` plus an empty `other`: toggling `other` creates sets whose schema was never built (a cold set)
  const plugins = [plugin('measure'), plugin('other')];
  const apps: App[] = [];
  try {
    const app = await createApp({ orm: database.orm, config, logger, plugins });
    const second = await createApp({ orm: database.orm, config, logger, plugins });
    apps.push(app, second);

    const em = database.owner.em.fork();
    const slug = `m-${randomUUID().slice(0, 12)}`;
    const workspace = em.create(Workspace, { name: slug, slug });
    const user = em.create(User, { email: `admin@${slug}.test`, name: 'Admin' });
    em.create(Membership, { workspaceId: workspace.id, userId: user.id, role: MembershipRole.ADMIN });
    await em.flush();
    const tokens = await issueSession(database.owner.em.fork() as SqlEntityManager, { workspaceId: workspace.id, userId: user.id }, config);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${tokens.accessToken}` };
    const gql = async (target: App, query: string) => {
      const res = await target.http.inject({ method: 'POST', url: '/graphql', headers, payload: JSON.stringify({ query }) });
      return JSON.parse(res.body) as { data?: any; errors?: unknown[] };
    };
    const toggle = async (mutation: 'enableModule' | 'disableModule', id: string) => {
      const res = await gql(app, `mutation { ${mutation}(input: { id: "${id}" }) { userErrors { message } } }`);
      if (res.errors || res.data[mutation].userErrors.length) throw new Error(JSON.stringify(res));
    };
    const hasField = async (target: App) => {
      const res = await gql(target, `{ __type(name: "Contact") { fields { name } } }`);
      return (res.data.__type.fields as { name: string }[]).some((f) => f.name === 'measurePoints');
    };

    // cold: build + start Apollo for a set never seen (`measure` alone), measured through the app's cache
    t = performance.now();
    await app.schemas.get(['measure']);
    const coldBuildAndApolloStartMs = performance.now() - t;

    await toggle('enableModule', 'measure');
    await hasField(app);
    await hasField(second);
    const disableToNewSchemaWarmMs: number[] = [];
    const otherAppConvergenceMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      await toggle('enableModule', 'measure');
      while (!(await hasField(second))) await new Promise((r) => setTimeout(r, 10));
      await toggle('disableModule', 'measure');
      const done = performance.now();
      if (await hasField(app)) throw new Error('served the old schema after disableModule returned');
      disableToNewSchemaWarmMs.push(performance.now() - done);
      while (await hasField(second)) await new Promise((r) => setTimeout(r, 10));
      otherAppConvergenceMs.push(performance.now() - done);
    }

    // a set seen for the first time: {measure, other} → disable measure → {other} (never built)
    await toggle('enableModule', 'measure');
    await toggle('enableModule', 'other');
    await hasField(app);
    await toggle('disableModule', 'measure');
    const done = performance.now();
    if (await hasField(app)) throw new Error('served the old schema after disableModule returned');
    const disableToNewSchemaColdSetMs = performance.now() - done;

    return {
      kernelBuildMs,
      coldBuildKernelPlusPluginMs,
      warmBuildKernelPlusPluginMs,
      buildKernelPlusPipelineMs,
      coldBuildAndApolloStartMs,
      disableToNewSchemaWarmMs,
      disableToNewSchemaColdSetMs,
      otherAppConvergenceMs,
    };
  } finally {
    for (const app of apps) await app.close();
    await database.close();
  }
}

if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  const numbers = await measureLiveSchema();
  const round = (v: number | number[]): string => (Array.isArray(v) ? `[${v.map((x) => x.toFixed(1)).join(', ')}]` : v.toFixed(1));
  for (const [key, value] of Object.entries(numbers)) console.log(`${key}: ${round(value)} ms`);
}
