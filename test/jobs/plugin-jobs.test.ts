import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { TestClock } from 'pg-boss';
import { queueNames } from '../../src/plugin-host/jobs/plugin-jobs.js';
import { definePlugin, defineJob, type PluginManifest } from '../../src/plugin-host/manifest.js';
import { enqueueJob } from '../../src/sdk/index.js';
import { tickUntil } from '../../src/sdk/testing.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

/**
 * Plugins' jobs through the real queue (pg-boss on this test's database), time driven by pg-boss's TestClock: the
 * schedule, delays and retries fire when the test moves the clock, never by waiting.
 */
const MIN = 60_000;
// starts at the real now: jobs written by the app's own sessions are stamped by the database's clock
const clock = new TestClock(Date.now());
const DAY = 24 * 60 * MIN;
/** The next 03:25 UTC at least a day ahead (five minutes before 09:00 in Kolkata). */
const beforeNineInKolkata = () => {
  const next = new Date(clock.now() + DAY);
  next.setUTCHours(3, 25, 0, 0);
  return next;
};

const dailyRuns: { workspaceId: string; now: Date; settings: unknown }[] = [];
const reminders: { workspaceId: string; note: string; now: Date }[] = [];
const offRuns: string[] = [];

const daily = defineJob({
  name: 'daily',
  // 09:00 in Kolkata (UTC+05:30, no daylight saving) is 03:30 UTC
  cron: '0 9 * * *',
  timeZone: 'Asia/Kolkata',
  async run(context) {
    dailyRuns.push({ workspaceId: context.workspaceId, now: context.now, settings: context.settings });
  },
});

const flaky = new Map<string, number>();
const remind = defineJob<{ note: string }>({
  name: 'remind',
  retryLimit: 2,
  retryDelaySeconds: 60,
  async run(context, { note }) {
    // the run's em works in the workspace (row-level security on PostgreSQL)
    await context.em.execute('select count(*) from workspace_module where workspace_id = ?', [context.workspaceId]);
    const attempts = (flaky.get(note) ?? 0) + 1;
    flaky.set(note, attempts);
    if (note.startsWith('always')) throw new Error(`${note} fails`);
    if (note.startsWith('flaky') && attempts === 1) throw new Error('first attempt fails');
    reminders.push({ workspaceId: context.workspaceId, note, now: context.now });
  },
});

const plugins: PluginManifest[] = [
  definePlugin({ id: 'timed', name: 'Timed', version: '1.0.0', kernel: '^1.0.0', jobs: [daily, remind] }),
  definePlugin({
    id: 'idle',
    name: 'Idle',
    version: '1.0.0',
    kernel: '^1.0.0',
    jobs: [{ name: 'every-minute', cron: '* * * * *', run: async (ctx) => void offRuns.push(ctx.workspaceId) }],
  }),
];

let server: TestServer;
let a: TestWorkspace;
let b: TestWorkspace;

const boss = () => server.queue!.boss;
const names = queueNames('timed', 'remind');

/**
 * Jumps the clock forward: the timers it passes fire once (a poll, a cron pass), as after a sleeping process — not
 * every poll of the span, which `tick` would replay.
 */
async function jump(ms: number): Promise<void> {
  await clock.setTime(clock.now() + ms);
  await clock.tick(1000);
}

async function enqueue(workspaceId: string, note: string, options: { startAfter?: Date; singletonKey?: string } = {}) {
  const em = server.appOrm.em.fork() as SqlEntityManager;
  return em.transactional((tx) => enqueueJob({ em: tx }, remind, { note }, { workspaceId, ...options }));
}

beforeAll(async () => {
  server = await startTestServer({ plugins, queue: { clock } });
  a = await server.newWorkspace();
  b = await server.newWorkspace();
  // A enables `timed` with settings; B never does; nobody enables `idle`
  await server.orm.em
    .getConnection()
    .execute(
      `insert into workspace_module (id, workspace_id, created_at, updated_at, plugin_id, enabled, settings) values (?, ?, now(), now(), 'timed', true, '{"step":2}')`,
      [randomUUID(), a.id],
    );
}, 60_000);
afterAll(() => server?.close());

test('a cron job runs at the schedule’s time in its time zone, once per occurrence, only where its plugin is enabled', async () => {
  const start = beforeNineInKolkata();
  await clock.setTime(start.getTime());
  const spy = boss().getSpy<{ workspaceId: string }>(queueNames('timed', 'daily').scheduled);
  await tickUntil(
    clock,
    spy.waitForJob((data) => data.workspaceId === a.id, 'completed'),
  );
  expect(dailyRuns.filter((r) => r.workspaceId === a.id)).toHaveLength(1);
  const [run] = dailyRuns;
  expect(run!.now.getTime()).toBeGreaterThanOrEqual(start.getTime() + 5 * MIN);
  expect(run!.now.getTime()).toBeLessThan(start.getTime() + 15 * MIN);
  expect(run!.settings).toEqual({ step: 2 });
  expect(dailyRuns.some((r) => r.workspaceId === b.id)).toBe(false);

  // an hour later: still one run; the idle plugin's every-minute job ran nowhere
  for (let i = 0; i < 4; i++) await jump(15 * MIN);
  expect(dailyRuns.filter((r) => r.workspaceId === a.id)).toHaveLength(1);
  expect(offRuns).toEqual([]);
});

test('an enqueued job waits for its start time, commits with the transaction that enqueued it, and is deduplicated by key', async () => {
  const startAfter = new Date(clock.now() + 2 * DAY);
  const id = await enqueue(a.id, 'in two days', { startAfter });
  expect(id).toEqual(expect.any(String));

  // a transaction that rolls back leaves no job
  const em = server.appOrm.em.fork() as SqlEntityManager;
  await expect(
    em.transactional(async (tx) => {
      await enqueueJob({ em: tx }, remind, { note: 'rolled back' }, { workspaceId: a.id });
      throw new Error('the write fails');
    }),
  ).rejects.toThrow('the write fails');
  expect((await boss().findJobs<{ data: { note: string } }>(names.enqueued)).map((j) => j.data.data.note)).not.toContain('rolled back');

  // a second job with the same key is refused while the first is queued
  expect(await enqueue(a.id, 'keyed', { startAfter, singletonKey: 'k1' })).toEqual(expect.any(String));
  expect(await enqueue(a.id, 'keyed again', { startAfter, singletonKey: 'k1' })).toBeNull();

  // one minute before: nothing ran
  await jump(2 * DAY - 2 * MIN);
  for (let i = 0; i < 4; i++) await clock.tick(15_000);
  expect(reminders.map((r) => r.note)).not.toContain('in two days');

  await tickUntil(clock, boss().getSpy(names.enqueued).waitForJobWithId(id!, 'completed'));
  const reminder = reminders.find((r) => r.note === 'in two days');
  expect(reminder).toMatchObject({ workspaceId: a.id });
  expect(reminder!.now.getTime()).toBeGreaterThanOrEqual(startAfter.getTime());
});

test('a failing run is retried after its delay; one that keeps failing ends as a failed job with its error', async () => {
  const flakyId = await enqueue(a.id, 'flaky-1');
  const failingId = await enqueue(a.id, 'always-1');
  await tickUntil(clock, boss().getSpy(names.enqueued).waitForJobWithId(flakyId!, 'completed'));
  expect(flaky.get('flaky-1')).toBe(2);
  expect(reminders.some((r) => r.note === 'flaky-1')).toBe(true);

  await tickUntil(clock, boss().getSpy(names.enqueued).waitForJobWithId(failingId!, 'failed'));
  expect(flaky.get('always-1')).toBe(3); // the first attempt and two retries
  const [failed] = await boss().findJobs(names.enqueued, { id: failingId! });
  expect(failed).toMatchObject({ state: 'failed', retryCount: 2 });
  expect(JSON.stringify(failed!.output)).toContain('always-1 fails');
});

test('a job of a plugin not enabled in the workspace completes without running', async () => {
  const id = await enqueue(b.id, 'for b');
  await tickUntil(clock, boss().getSpy(names.enqueued).waitForJobWithId(id!, 'completed'));
  expect(reminders.some((r) => r.note === 'for b')).toBe(false);
  expect(flaky.get('for b')).toBeUndefined();
});
