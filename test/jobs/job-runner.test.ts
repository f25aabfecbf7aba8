import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { JobRunner } from '../../src/plugin-host/jobs/job-runner.js';
import { definePlugin, type PluginContext, type PluginManifest } from '../../src/plugin-host/manifest.js';
import type { SqlEntityManager } from '@mikro-orm/sql';

const silent = { info: () => {}, error: jest.fn() };

let server: TestServer;
let a: TestWorkspace;
let b: TestWorkspace;
const counts = new Map<string, number>();
const offRuns: string[] = [];
const seenSettings: Record<string, unknown>[] = [];
let everySeconds = 3600;

const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

const plugins: PluginManifest[] = [
  // runs before the counter and always throws
  definePlugin({
    id: 'boom',
    name: 'Boom',
    version: '1.0.0',
    kernel: '^1.0.0',
    enabledByDefault: true,
    jobs: [
      {
        name: 'explode',
        everySeconds: 3600,
        run: async () => {
          throw new Error('kaboom');
        },
      },
    ],
  }),
  definePlugin({
    id: 'counter',
    name: 'Counter',
    version: '1.0.0',
    kernel: '^1.0.0',
    enabledByDefault: true,
    jobs: [
      {
        name: 'count',
        get everySeconds() {
          return everySeconds;
        },
        run: async (ctx: PluginContext) => {
          // the em works in the workspace's tenant context
          await (ctx.em as SqlEntityManager).execute('select count(*) from workspace_module where workspace_id = ?', [ctx.workspaceId]);
          seenSettings.push(ctx.settings);
          bump(ctx.workspaceId!);
        },
      },
    ],
  }),
  definePlugin({
    id: 'off',
    name: 'Off',
    version: '1.0.0',
    kernel: '^1.0.0',
    jobs: [
      {
        name: 'never',
        everySeconds: 1,
        run: async (ctx) => {
          offRuns.push(ctx.workspaceId!);
        },
      },
    ],
  }),
];

const runner = (tickMs = 50) =>
  new JobRunner({ orm: server.appOrm, logger: silent, plugins, tickMs, listWorkspaces: async () => [a.id, b.id] });

beforeAll(async () => {
  server = await startTestServer();
  a = await server.newWorkspace();
  b = await server.newWorkspace();
  // B disabled the counter; A configured it
  await server.orm.em
    .getConnection()
    .execute(
      `insert into workspace_module (id, workspace_id, created_at, updated_at, plugin_id, enabled, settings) values (?, ?, now(), now(), 'counter', false, null), (?, ?, now(), now(), 'counter', true, '{"step":2}')`,
      [randomUUID(), b.id, randomUUID(), a.id],
    );
});
afterAll(() => server?.close());

test("two runners on one database run a job once per interval; a disabled plugin's job does not run; a throwing job does not block another", async () => {
  const [r1, r2] = [runner(), runner()];
  const results = await Promise.all([r1.tick(), r2.tick(), r1.tick(), r2.tick()]);
  expect(counts.get(a.id)).toBe(1);
  expect(counts.get(b.id)).toBeUndefined();
  expect(offRuns).toEqual([]);
  expect(seenSettings).toEqual([{ step: 2 }]);
  // boom ran (and failed) once per workspace where it is enabled (A and B, by default)
  expect(results.reduce((n, r) => n + r.failed, 0)).toBe(2);
  expect(silent.error).toHaveBeenCalledWith(expect.objectContaining({ plugin: 'boom', job: 'explode' }), 'scheduled job failed');

  // within the interval: nothing more
  await Promise.all([r1.tick(), r2.tick()]);
  expect(counts.get(a.id)).toBe(1);

  // the interval passed: exactly one more run
  await server.orm.em
    .getConnection()
    .execute(`update job_run set last_started_at = last_started_at - interval '2 hours' where workspace_id = ?`, [a.id]);
  await Promise.all([r1.tick(), r2.tick()]);
  expect(counts.get(a.id)).toBe(2);
});

test('two started runners run a 1-second job once per second', async () => {
  everySeconds = 1;
  counts.clear();
  await server.orm.em
    .getConnection()
    .execute(`update job_run set last_started_at = last_started_at - interval '2 hours' where workspace_id = ?`, [a.id]);
  const [r1, r2] = [runner(20).start(), runner(20).start()];
  await new Promise((resolve) => setTimeout(resolve, 2500));
  await Promise.all([r1.stop(), r2.stop()]);
  // runs at ~0 s, ~1 s, ~2 s (not twice per interval)
  expect(counts.get(a.id)).toBeGreaterThanOrEqual(2);
  expect(counts.get(a.id)).toBeLessThanOrEqual(3);
  expect(offRuns).toEqual([]);
});
