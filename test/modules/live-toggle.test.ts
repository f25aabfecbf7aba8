import { printSchema } from 'graphql';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createApp, type App } from '../../src/app/http-app.js';
import { buildAppSchema } from '../../src/app/schema.js';
import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { fixturePlugins, lifecycle } from './loyalty.fixture.js';
import { runInstallSteps } from '../../src/plugin-host/install-plugins.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ plugins: fixturePlugins });
});
afterAll(async () => {
  await server?.close();
});

const ENABLE = `mutation($id: ID!) { enableModule(input: { id: $id }) { module { id enabled } userErrors { field message code } } }`;
const DISABLE = `mutation($id: ID!) { disableModule(input: { id: $id }) { module { id enabled } userErrors { field message code } } }`;
const SETTINGS = `mutation($id: ID!, $s: JSON!) { updateModuleSettings(input: { id: $id, settings: $s }) { module { id settings } userErrors { field message code } } }`;
const MODULES = `{ modules { id name version enabled dependsOn { id range } settings } }`;
const SHAPE = `{ contact: __type(name: "Contact") { fields { name } } leader: __type(name: "LoyaltyLeader") { name } query: __type(name: "Query") { fields { name } } }`;

async function shape(gql: (q: string) => Promise<any>) {
  const res = await gql(SHAPE);
  expect(res.errors).toBeUndefined();
  return {
    contactFields: res.data.contact.fields.map((f: { name: string }) => f.name) as string[],
    leaderType: res.data.leader as { name: string } | null,
    queryFields: res.data.query.fields.map((f: { name: string }) => f.name) as string[],
  };
}

async function toggle(ws: TestWorkspace, enable: boolean, id: string) {
  const data = await ws.ok(enable ? ENABLE : DISABLE, { id });
  return (enable ? data.enableModule : data.disableModule) as {
    module: { id: string; enabled: boolean } | null;
    userErrors: { field: string[]; message: string; code: string }[];
  };
}

async function newContact(ws: TestWorkspace): Promise<string> {
  const data = await ws.ok(`mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } userErrors { message } } }`, {
    i: { firstName: 'Lola', lastName: 'Loyal' },
  });
  return data.createContact.contact.id;
}

describe('modules: live per-workspace schema', () => {
  it('lists installed modules with defaults: disabled, settings filled from the zod schema', async () => {
    const ws = await server.newWorkspace();
    const { modules } = await ws.ok(MODULES);
    expect(modules).toEqual([
      {
        id: 'loyalty',
        name: 'Loyalty points',
        version: '1.2.0',
        enabled: false,
        dependsOn: [],
        settings: { pointsPerPurchase: 10, tiers: ['silver', 'gold'] },
      },
      {
        id: 'referrals',
        name: 'Referrals',
        version: '0.3.0',
        enabled: false,
        dependsOn: [{ id: 'loyalty', range: '^1.0.0' }],
        settings: {},
      },
      { id: 'badges', name: 'Badges', version: '0.1.0', enabled: false, dependsOn: [{ id: 'loyalty', range: '^1.0.0' }], settings: {} },
    ]);
    // a workspace without the module: kernel schema
    const before = await shape(ws.gql);
    expect(before.contactFields).not.toContain('loyaltyPoints');
    expect(before.leaderType).toBeNull();
  });

  it('enable → types appear; disable → gone at once (MODULE_DISABLED), other workspace unaffected, data kept; re-enable restores it', async () => {
    const a = await server.newWorkspace();
    const b = await server.newWorkspace();
    expect((await toggle(a, true, 'loyalty')).userErrors).toEqual([]);
    expect((await toggle(b, true, 'loyalty')).userErrors).toEqual([]);

    const enabled = await shape(a.gql);
    expect(enabled.contactFields).toContain('loyaltyPoints');
    expect(enabled.leaderType).toEqual({ name: 'LoyaltyLeader' });
    expect(enabled.queryFields).toContain('loyaltyLeaders');

    const contactId = await newContact(a);
    const award = await a.ok(`mutation($i: AwardLoyaltyPointsInput!) { awardLoyaltyPoints(input: $i) { points userErrors { message } } }`, {
      i: { contactId, points: 7 },
    });
    expect(award.awardLoyaltyPoints).toEqual({ points: 7, userErrors: [] });
    const READ = `query($id: ID!) { contact(id: $id) { loyaltyPoints } loyaltyLeaders { contactId points } }`;
    expect(await a.ok(READ, { id: contactId })).toEqual({ contact: { loyaltyPoints: 7 }, loyaltyLeaders: [{ contactId, points: 7 }] });

    // disable: the very next request is served without the module's types and fields
    const disabled = await toggle(a, false, 'loyalty');
    expect(disabled).toEqual({ module: { id: 'loyalty', enabled: false }, userErrors: [] });
    const after = await shape(a.gql);
    expect(after.contactFields).not.toContain('loyaltyPoints');
    expect(after.leaderType).toBeNull();
    expect(after.queryFields).not.toContain('loyaltyLeaders');
    const refused = await a.gql(READ, { id: contactId });
    expect(refused.data).toBeUndefined();
    expect(refused.errors!.map((e) => e.extensions)).toEqual([
      { code: 'MODULE_DISABLED', module: 'loyalty' },
      { code: 'MODULE_DISABLED', module: 'loyalty' },
    ]);
    expect(refused.errors!.map((e) => e.message)).toEqual([
      'Cannot query field "loyaltyPoints" on type "Contact": it belongs to the module Loyalty points (loyalty), which is not enabled in this workspace.',
      'Cannot query field "loyaltyLeaders" on type "Query": it belongs to the module Loyalty points (loyalty), which is not enabled in this workspace.',
    ]);
    // kernel fields still work
    expect(await a.ok(`query($id: ID!) { contact(id: $id) { firstName } }`, { id: contactId })).toEqual({ contact: { firstName: 'Lola' } });

    // the other workspace keeps the module
    const other = await shape(b.gql);
    expect(other.contactFields).toContain('loyaltyPoints');
    expect(other.leaderType).toEqual({ name: 'LoyaltyLeader' });
    expect((await b.ok(`{ loyaltyLeaders { points } }`)).loyaltyLeaders).toEqual([]);

    // data stays: re-enabling shows it again, no restart
    expect((await toggle(a, true, 'loyalty')).module).toEqual({ id: 'loyalty', enabled: true });
    expect(await a.ok(READ, { id: contactId })).toEqual({ contact: { loyaltyPoints: 7 }, loyaltyLeaders: [{ contactId, points: 7 }] });
  });

  it('a disabled module’s fields, types and their dependants answer MODULE_DISABLED naming the module (HTTP 400); typos stay validation failures', async () => {
    const ws = await server.newWorkspace();
    const post = async (query: string, variables?: unknown) => {
      const response = await server.app.http.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', ...ws.headers },
        payload: JSON.stringify({ query, variables }),
      });
      return {
        status: response.statusCode,
        body: JSON.parse(response.body) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] },
      };
    };
    // nothing enabled: a root field, a field on a kernel type, an input type of the module
    const root = await post(`{ loyaltyTiers }`);
    expect(root.status).toBe(400);
    expect(root.body.data).toBeUndefined();
    expect(root.body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('Loyalty points (loyalty)'),
        extensions: { code: 'MODULE_DISABLED', module: 'loyalty' },
      }),
    ]);
    const input = await post(`mutation($i: AwardLoyaltyPointsInput!) { awardLoyaltyPoints(input: $i) { points } }`, {
      i: { contactId: 'x', points: 1 },
    });
    expect(input.status).toBe(400);
    expect(input.body.errors!.map((e) => [e.message, e.extensions])).toEqual([
      [
        'Unknown type "AwardLoyaltyPointsInput": it belongs to the module Loyalty points (loyalty), which is not enabled in this workspace.',
        { code: 'MODULE_DISABLED', module: 'loyalty' },
      ],
      [expect.stringContaining('"awardLoyaltyPoints" on type "Mutation"'), { code: 'MODULE_DISABLED', module: 'loyalty' }],
    ]);
    // a field no plugin adds: still a plain validation failure, beside a module error in the same operation
    const mixed = await post(`{ contacts(first: 1) { nodes { id loyaltyPionts } } loyaltyLeaders { points } }`);
    expect(mixed.status).toBe(400);
    expect(mixed.body.errors!.map((e) => e.extensions)).toEqual([
      { code: 'GRAPHQL_VALIDATION_FAILED' },
      { code: 'MODULE_DISABLED', module: 'loyalty' },
    ]);
    expect(mixed.body.errors![0]!.message).toMatch(/^Cannot query field "loyaltyPionts" on type "Contact"\./);
    const typo = await post(`{ contactz { totalCount } }`);
    expect(typo.body.errors!.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);

    // enabled: the same fields work; a dependant module that is still disabled is named itself
    await toggle(ws, true, 'loyalty');
    expect(await ws.ok(`{ loyaltyTiers }`)).toEqual({ loyaltyTiers: ['silver', 'gold'] });
    const dependant = await post(`{ loyaltyTiers referralBonus }`);
    expect(dependant.body.errors!.map((e) => [e.message, e.extensions])).toEqual([
      [
        'Cannot query field "referralBonus" on type "Query": it belongs to the module Referrals (referrals), which is not enabled in this workspace.',
        { code: 'MODULE_DISABLED', module: 'referrals' },
      ],
    ]);
    await toggle(ws, true, 'referrals');
    expect(await ws.ok(`{ loyaltyTiers referralBonus }`)).toEqual({ loyaltyTiers: ['silver', 'gold'], referralBonus: 5 });
    await toggle(ws, false, 'referrals');
    await toggle(ws, false, 'loyalty');
    expect((await post(`{ referralBonus }`)).body.errors!.map((e) => e.extensions)).toEqual([
      { code: 'MODULE_DISABLED', module: 'referrals' },
    ]);
  });

  it('does not leak a plugin field resolver into schemas built without the plugin (type-graphql metadata is global)', async () => {
    const ws = await server.newWorkspace();
    await toggle(ws, true, 'loyalty');
    expect((await shape(ws.gql)).contactFields).toContain('loyaltyPoints');
    // built before and after the plugin's schema: neither has the field
    expect(printSchema(server.app.schema)).not.toMatch(/loyaltyPoints|LoyaltyLeader/);
    expect(printSchema(await buildAppSchema())).not.toMatch(/loyaltyPoints|LoyaltyLeader/);
    // anonymous callers get the kernel schema
    expect((await shape((q) => server.gql(q))).contactFields).not.toContain('loyaltyPoints');
    // one schema per distinct enabled set
    expect(server.app.schemas.keys()).toEqual(expect.arrayContaining(['', 'loyalty']));
  });

  it('enabling needs the dependencies enabled; disabling is refused while an enabled module depends on it (errors name them)', async () => {
    const ws = await server.newWorkspace();
    const blocked = await toggle(ws, true, 'referrals');
    expect(blocked.module).toBeNull();
    expect(blocked.userErrors).toEqual([
      { field: ['id'], code: 'CONFLICT', message: 'Referrals (referrals) needs Loyalty points (loyalty) enabled first' },
    ]);

    await toggle(ws, true, 'loyalty');
    expect((await toggle(ws, true, 'referrals')).userErrors).toEqual([]);
    expect((await toggle(ws, true, 'badges')).userErrors).toEqual([]);
    expect(await ws.ok(`{ referralBonus badges }`)).toEqual({ referralBonus: 5, badges: ['first-purchase'] });

    const refused = await toggle(ws, false, 'loyalty');
    expect(refused.module).toBeNull();
    expect(refused.userErrors).toEqual([
      {
        field: ['id'],
        code: 'CONFLICT',
        message:
          'Loyalty points (loyalty) cannot be disabled while Referrals (referrals), Badges (badges) depend on it: disable them first',
      },
    ]);
    // nothing changed
    const { modules } = await ws.ok(MODULES);
    expect(modules.map((m: { id: string; enabled: boolean }) => [m.id, m.enabled])).toEqual([
      ['loyalty', true],
      ['referrals', true],
      ['badges', true],
    ]);

    await toggle(ws, false, 'badges');
    expect((await toggle(ws, false, 'loyalty')).userErrors[0]!.message).toBe(
      'Loyalty points (loyalty) cannot be disabled while Referrals (referrals) depends on it: disable it first',
    );
    await toggle(ws, false, 'referrals');
    expect((await toggle(ws, false, 'loyalty')).userErrors).toEqual([]);

    const unknown = await toggle(ws, true, 'nope');
    expect(unknown.userErrors).toEqual([{ field: ['id'], code: 'NOT_FOUND', message: 'No installed module has the id "nope"' }]);
  });

  it('uninstallModule: refused while an enabled module depends on it (nothing changes); otherwise disables, runs onUninstall in the workspace and forgets its settings', async () => {
    const ws = await server.newWorkspace();
    await toggle(ws, true, 'loyalty');
    await toggle(ws, true, 'referrals');
    expect((await ws.ok(SETTINGS, { id: 'loyalty', s: { pointsPerPurchase: 7 } })).updateModuleSettings.userErrors).toEqual([]);
    const UNINSTALL = `mutation($id: ID!) { uninstallModule(input: { id: $id }) { module { id enabled settings } userErrors { field message code } } }`;
    lifecycle.length = 0;
    const refused = (await ws.ok(UNINSTALL, { id: 'loyalty' })).uninstallModule;
    expect(refused).toEqual({
      module: null,
      userErrors: [
        {
          field: ['id'],
          code: 'CONFLICT',
          message: 'Loyalty points (loyalty) cannot be uninstalled while Referrals (referrals) depends on it: disable it first',
        },
      ],
    });
    expect(lifecycle).toEqual([]);
    expect((await ws.ok(MODULES)).modules.find((m: { id: string }) => m.id === 'loyalty')).toMatchObject({
      enabled: true,
      settings: { pointsPerPurchase: 7 },
    });

    await toggle(ws, false, 'referrals');
    const done = (await ws.ok(UNINSTALL, { id: 'loyalty' })).uninstallModule;
    expect(done).toEqual({
      module: { id: 'loyalty', enabled: false, settings: { pointsPerPurchase: 10, tiers: ['silver', 'gold'] } },
      userErrors: [],
    });
    expect(lifecycle).toEqual([
      { event: 'disable', workspaceId: ws.id, settings: { pointsPerPurchase: 7, tiers: ['silver', 'gold'] } },
      { event: 'uninstall', workspaceId: ws.id, settings: { pointsPerPurchase: 7, tiers: ['silver', 'gold'] } },
    ]);
    expect((await shape(ws.gql)).contactFields).not.toContain('loyaltyPoints');
  });

  it('onInstall runs once per database, when a server first starts with the plugin; a failing one names the plugin and records nothing', async () => {
    const conn = server.orm.em.getConnection();
    await conn.execute(`delete from installed_plugin where plugin_id in ('loyalty', 'referrals', 'badges', 'broken-install')`);
    lifecycle.length = 0;
    expect(await runInstallSteps(server.orm, fixturePlugins)).toEqual(['loyalty', 'referrals', 'badges']);
    expect(lifecycle).toEqual([{ event: 'install', workspaceId: null, settings: { pointsPerPurchase: 10, tiers: ['silver', 'gold'] } }]);
    expect(await runInstallSteps(server.orm, fixturePlugins)).toEqual([]);
    expect(lifecycle).toHaveLength(1);
    expect(await conn.execute(`select plugin_id, version from installed_plugin where plugin_id = 'loyalty'`)).toEqual([
      { plugin_id: 'loyalty', version: '1.2.0' },
    ]);

    const broken = {
      ...fixturePlugins[0]!,
      id: 'broken-install',
      name: 'Broken',
      onInstall: async () => {
        throw new Error('no licence key');
      },
    };
    await expect(runInstallSteps(server.orm, [broken])).rejects.toThrow('Plugin Broken (broken-install): onInstall failed: no licence key');
    expect(await conn.execute(`select plugin_id from installed_plugin where plugin_id = 'broken-install'`)).toEqual([]);
  });

  it('resolvers read the workspace’s settings of their plugin (pluginSettings): defaults, then what the admin set; per workspace', async () => {
    const ws = await server.newWorkspace();
    const other = await server.newWorkspace();
    for (const w of [ws, other]) await toggle(w, true, 'loyalty');
    expect(await ws.ok(`{ loyaltyTiers }`)).toEqual({ loyaltyTiers: ['silver', 'gold'] });
    expect((await ws.ok(SETTINGS, { id: 'loyalty', s: { tiers: ['bronze', 'platinum'] } })).updateModuleSettings.userErrors).toEqual([]);
    expect(await ws.ok(`{ loyaltyTiers }`)).toEqual({ loyaltyTiers: ['bronze', 'platinum'] });
    expect(await other.ok(`{ loyaltyTiers }`)).toEqual({ loyaltyTiers: ['silver', 'gold'] });
  });

  it('validates settings with the plugin’s zod schema (userErrors, nothing written) and fills defaults', async () => {
    const ws = await server.newWorkspace();
    const bad = (await ws.ok(SETTINGS, { id: 'loyalty', s: { pointsPerPurchase: -3, tiers: [''] } })).updateModuleSettings;
    expect(bad.module).toBeNull();
    expect(bad.userErrors.map((e: { field: string[] }) => e.field)).toEqual([
      ['settings', 'pointsPerPurchase'],
      ['settings', 'tiers', '0'],
    ]);
    expect(bad.userErrors.every((e: { code: string }) => e.code === 'BAD_USER_INPUT')).toBe(true);
    expect(await server.count('workspace_module', ws.id)).toBe(0);

    const notObject = (await ws.ok(SETTINGS, { id: 'loyalty', s: [1] })).updateModuleSettings;
    expect(notObject.userErrors).toEqual([{ field: ['settings'], code: 'BAD_USER_INPUT', message: 'settings must be an object' }]);
    const noSettings = (await ws.ok(SETTINGS, { id: 'referrals', s: { x: 1 } })).updateModuleSettings;
    expect(noSettings.userErrors[0].message).toBe('Referrals (referrals) has no settings');

    const good = (await ws.ok(SETTINGS, { id: 'loyalty', s: { pointsPerPurchase: 25 } })).updateModuleSettings;
    expect(good).toEqual({ module: { id: 'loyalty', settings: { pointsPerPurchase: 25, tiers: ['silver', 'gold'] } }, userErrors: [] });
    const { modules } = await ws.ok(MODULES);
    expect(modules[0]).toMatchObject({ id: 'loyalty', enabled: false, settings: { pointsPerPurchase: 25, tiers: ['silver', 'gold'] } });

    // lifecycle callbacks see the workspace and its settings
    lifecycle.length = 0;
    await toggle(ws, true, 'loyalty');
    await toggle(ws, true, 'loyalty'); // already enabled: no second call
    await toggle(ws, false, 'loyalty');
    expect(lifecycle).toEqual([
      { event: 'enable', workspaceId: ws.id, settings: { pointsPerPurchase: 25, tiers: ['silver', 'gold'] } },
      { event: 'disable', workspaceId: ws.id, settings: { pointsPerPurchase: 25, tiers: ['silver', 'gold'] } },
    ]);
  });

  it('only module:manage (Owner, Admin) toggles and configures; any member lists', async () => {
    const ws = await server.newWorkspace();
    const sales = await ws.addMember('Sam Sales', MembershipRole.SALES);
    const asSales = (q: string, v?: unknown) => server.gql(q, v, sales.headers);
    for (const [query, variables] of [
      [ENABLE, { id: 'loyalty' }],
      [DISABLE, { id: 'loyalty' }],
      [SETTINGS, { id: 'loyalty', s: {} }],
    ] as const) {
      const res = await asSales(query, variables);
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(await server.count('workspace_module', ws.id)).toBe(0);
    expect((await asSales(MODULES)).data.modules).toHaveLength(3);
    expect((await server.gql(MODULES)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('two app instances on one database (each with its own caches) converge within 2 s', async () => {
    // two apps in one process (also on PGlite); two real server processes: test/modules/two-processes.test.ts (PostgreSQL)
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
    });
    const second: App = await createApp({ orm: server.appOrm, config, logger: createLogger(config), plugins: fixturePlugins });
    try {
      const ws = await server.newWorkspace();
      const viaSecond = async (q: string) => {
        const res = await second.http.inject({
          method: 'POST',
          url: '/graphql',
          headers: { 'content-type': 'application/json', ...ws.headers },
          payload: JSON.stringify({ query: q }),
        });
        return JSON.parse(res.body);
      };
      const hasField = async () => (await shape(viaSecond)).contactFields.includes('loyaltyPoints');
      expect(await hasField()).toBe(false); // cached in the second app now

      // polls the second app every 50 ms without waiting for answers (a loaded machine answers slowly) and returns when,
      // after the toggle's response, the second app was first asked a request that it served with the new schema
      const waitFor = async (expected: boolean) => {
        const started = Date.now();
        const polls: Promise<number | null>[] = [];
        while (Date.now() - started < 2000) {
          const sentAfter = Date.now() - started;
          polls.push(hasField().then((has) => (has === expected ? sentAfter : null)));
          await new Promise((r) => setTimeout(r, 50));
        }
        const seen = (await Promise.all(polls)).filter((v): v is number => v !== null);
        if (!seen.length) throw new Error(`the second app did not converge to ${expected} within 2 s`);
        return Math.min(...seen);
      };
      await toggle(ws, true, 'loyalty'); // through the first app
      expect(await waitFor(true)).toBeLessThan(2000);
      await toggle(ws, false, 'loyalty');
      expect(await waitFor(false)).toBeLessThan(2000);
    } finally {
      await second.close();
    }
  });
});
