import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Orm } from '../db/orm.js';
import { withWorkspace } from '../db/rls/tenant-context.js';
import { UUID } from '../graphql/global-id.js';
import { verifyToken } from '../core/encryption/signed-tokens.js';
import type { PluginHttpRequest, PluginHttpResponse, PluginHttpRoute, PluginHttpTools, PluginManifest } from '../plugin-host/manifest.js';
import type { ModuleHost } from '../plugin-host/modules/module-host.js';
import { effectiveSettings } from '../plugin-host/modules/modules.service.js';

/** Largest body a plugin route accepts. */
export const PLUGIN_ROUTE_BODY_LIMIT = 64 * 1024;
const DEFAULT_HEADERS: Record<string, string> = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

export const pluginRoutePrefix = (pluginId: string) => `/plugins/${pluginId}`;

const firstValues = (values: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (!values || typeof values !== 'object') return out;
  for (const [key, value] of Object.entries(values)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') Object.defineProperty(out, key, { value: first, enumerable: true, writable: true, configurable: true });
  }
  return out;
};

function pluginRequest(request: FastifyRequest): PluginHttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  return {
    method: request.method as PluginHttpRequest['method'],
    params: firstValues(request.params),
    query: firstValues(request.query),
    headers,
    body: request.body ?? null,
    ip: request.ip,
  };
}

/**
 * Plugins' public routes (manifest `httpRoutes`) at `/plugins/<id><path>`: no session, no credentials — a handler
 * trusts only what it verifies (a signed token) and reaches the database through `inWorkspace`. Registered in a scope
 * of their own, so their form-body parser applies to them alone (GraphQL keeps refusing form posts).
 */
export function registerPluginRoutes(
  http: FastifyInstance,
  { orm, modules, logger, now }: { orm: Orm; modules: ModuleHost; logger: Logger; now: () => Date },
): void {
  const plugins = modules.plugins.filter((p) => p.httpRoutes?.length);
  if (!plugins.length) return;
  void http.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      const fields: Record<string, string> = {};
      for (const [name, value] of new URLSearchParams(body as string))
        if (!Object.hasOwn(fields, name))
          Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
      done(null, fields);
    });
    // other types (multipart, text): the text, for the handler to read if it wants
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    for (const plugin of plugins) {
      const routes = plugin.httpRoutes as PluginHttpRoute[];
      for (const route of routes) {
        const url = `${pluginRoutePrefix(plugin.id)}${route.path === '/' ? '' : route.path}`;
        const hasHead = routes.some((r) => r.method === 'HEAD' && r.path === route.path);
        scope.route({
          method: route.method,
          url,
          bodyLimit: PLUGIN_ROUTE_BODY_LIMIT,
          exposeHeadRoute: route.method === 'GET' && !hasHead,
          handler: (request, reply) => answer(plugin, route, request, reply),
        });
      }
    }
  });

  const toolsFor = (plugin: PluginManifest): PluginHttpTools => ({
    verifyToken: (purpose, token) => verifyToken(orm, purpose, token),
    async inWorkspace(workspaceId, work) {
      if (typeof workspaceId !== 'string' || !UUID.test(workspaceId)) return { ok: false };
      return withWorkspace(orm, workspaceId, async (outer) =>
        // PGlite's fork has no transaction of its own: this one makes a throw roll the work back there too
        outer.transactional(async (tx) => {
          const em = tx as SqlEntityManager;
          const [exists] = await em.execute<{ id: string }[]>(`select id from workspace where id = ?`, [workspaceId]);
          if (!exists) return { ok: false as const };
          const rows = await modules.readRows(em, workspaceId);
          if (!modules.effectiveEnabled(rows).includes(plugin.id)) return { ok: false as const };
          const settings = effectiveSettings(plugin, rows.get(plugin.id)?.settings);
          return { ok: true as const, value: await work({ workspaceId, em, settings, now: now() }) };
        }),
      );
    },
  });
  const tools = new Map(plugins.map((p) => [p.id, toolsFor(p)]));

  async function answer(plugin: PluginManifest, route: PluginHttpRoute, request: FastifyRequest, reply: FastifyReply) {
    let response: PluginHttpResponse;
    try {
      response = await route.handle(pluginRequest(request), tools.get(plugin.id)!);
      const status = response?.status;
      if (!Number.isInteger(status) || status < 200 || status > 599) throw new Error(`answered with status ${String(status)}`);
      const body = response.body ?? '';
      if (typeof body !== 'string' && !Buffer.isBuffer(body)) throw new Error('answered with a body that is not a string or Buffer');
      const headers = { ...DEFAULT_HEADERS };
      for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = String(value);
      // invalid header names or values (a line break) throw here, before anything is sent
      for (const [name, value] of Object.entries(headers)) {
        validateHeaderName(name);
        validateHeaderValue(name, value);
      }
      return reply.code(status).headers(headers).send(body);
    } catch (error) {
      logger.error({ err: error, plugin: plugin.id, route: `${route.method} ${route.path}` }, 'plugin route failed');
      return reply.code(500).headers(DEFAULT_HEADERS).header('content-type', 'text/plain; charset=utf-8').send('Internal Server Error');
    }
  }
}
