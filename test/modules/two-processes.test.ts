import type { ChildProcess } from 'node:child_process';
import type { Orm } from '../../src/db/orm.js';
import { openAppOrm } from '../../src/app/database.js';
import { databaseUrl } from '../support/harness.js';
import {
  expectBuiltServer,
  freshDatabase,
  killProcess,
  postGraphql,
  randomPort,
  seedAdminWorkspace,
  startServerProcess,
} from '../support/server-process.js';

/**
 * Two server processes (`node dist/src/server.js`) on one database, each with its own caches: a module toggled
 * through one is honoured by the other within 2 s (each process trusts its cached enabled set for 1 s), both ways.
 * The plugin is the example third-party plugin, installed in both through `PLUGINS`.
 * PostgreSQL only (PGlite is in-process): skipped without TEST_DATABASE_URL.
 */
const url = databaseUrl();
const onPostgres = url ? describe : describe.skip;

const CONTACT_FIELDS = `{ __type(name: "Contact") { fields { name } } }`;
const ENABLE = `mutation { enableModule(input: { id: "acme-loyalty" }) { module { id enabled } userErrors { message } } }`;
const DISABLE = `mutation { disableModule(input: { id: "acme-loyalty" }) { module { id enabled } userErrors { message } } }`;

onPostgres('module toggles across two server processes (PostgreSQL only)', () => {
  let dbUrl: string;
  const ports = [randomPort(), randomPort() + 1];
  const processes: ChildProcess[] = [];
  let orm: Orm;

  beforeAll(async () => {
    dbUrl = await freshDatabase(url!, 'two_processes');
    expectBuiltServer();
    const env = { PLUGINS: './dist/examples/loyalty', OUTBOX_WORKER: 'off', JOB_RUNNER: 'off' };
    // one after the other: the first migrates
    for (const port of ports) processes.push(await startServerProcess(dbUrl, port, env));
    orm = await openAppOrm({ url: dbUrl, poolMax: 2 });
  }, 120_000);

  afterAll(async () => {
    for (const proc of processes) await killProcess(proc, 'SIGTERM');
    await orm?.close(true);
  });

  const hasField = async (port: number, token: string) =>
    (await postGraphql<{ __type: { fields: { name: string }[] } }>(port, token, CONTACT_FIELDS)).data!.__type.fields.some(
      (f) => f.name === 'loyaltyPoints',
    );

  /**
   * Asks a process every 50 ms, without waiting for answers (a loaded machine answers slowly), for 2 s; returns how
   * long after the start the first request was sent that the process served with the expected schema.
   */
  async function convergence(port: number, token: string, expected: boolean): Promise<number> {
    const started = Date.now();
    const polls: Promise<number | null>[] = [];
    while (Date.now() - started < 2000) {
      const sentAfter = Date.now() - started;
      polls.push(hasField(port, token).then((has) => (has === expected ? sentAfter : null)));
      await new Promise((r) => setTimeout(r, 50));
    }
    const seen = (await Promise.all(polls)).filter((v): v is number => v !== null);
    if (!seen.length)
      throw new Error(`the process on :${port} did not converge to ${expected ? 'having' : 'lacking'} Contact.loyaltyPoints within 2 s`);
    return Math.min(...seen);
  }

  it('enable through one process → the other serves the plugin within 2 s; disable → gone within 2 s', async () => {
    const { accessToken: token } = await seedAdminWorkspace(orm, `two-${ports[0]}`);
    const [a, b] = ports as [number, number];
    // both processes have cached the workspace's enabled set (without the plugin)
    for (const port of ports)
      expect((await postGraphql(port, token, CONTACT_FIELDS)).data.__type.fields.map((f: { name: string }) => f.name)).not.toContain(
        'loyaltyPoints',
      );

    expect((await postGraphql(a, token, ENABLE)).data).toEqual({
      enableModule: { module: { id: 'acme-loyalty', enabled: true }, userErrors: [] },
    });
    // the toggling process serves the new schema at once; the other one within its cache's TTL
    expect(await hasField(a, token)).toBe(true);
    expect(await convergence(b, token, true)).toBeLessThan(2000);

    expect((await postGraphql(b, token, DISABLE)).data).toEqual({
      disableModule: { module: { id: 'acme-loyalty', enabled: false }, userErrors: [] },
    });
    expect(await hasField(b, token)).toBe(false);
    expect(await convergence(a, token, false)).toBeLessThan(2000);
    // an operation naming the plugin's field is now answered MODULE_DISABLED on both
    for (const p of ports) {
      const result = await postGraphql(p, token, `{ contacts(first: 1) { edges { node { loyaltyPoints } } } }`);
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'MODULE_DISABLED', module: 'acme-loyalty' });
    }
  }, 60_000);
});
