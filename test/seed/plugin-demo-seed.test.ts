import { openAppDatabase } from '../../src/app/database.js';
import { allMigrations, pluginEntities } from '../../src/plugin-host/plugin-migrations.js';
import { seedDemoIfEmpty } from '../../src/seed/demo.js';
import { seedPluginDemoData } from '../../src/seed/plugin-demo.js';
import pipeline from '../../plugins/pipeline/plugin.js';
import campaigns from '../../plugins/campaigns/plugin.js';
import type { PluginManifest } from '../../src/plugin-host/manifest.js';

/**
 * `npm start` on an empty database seeds the demo workspace, then every enabled plugin's demo data — before the app
 * (and its registration of plugins' permissions) exists. In-memory PGlite, as a first start.
 */
test('a first start seeds the plugins’ demo data in the demo workspace', async () => {
  const loaded = [pipeline, campaigns].map((p) => ({ id: p.id, manifest: p as PluginManifest, source: `plugins/${p.id}`, builtin: true }));
  const database = await openAppDatabase({ url: undefined, pluginEntities: pluginEntities(loaded), migrations: allMigrations(loaded) });
  try {
    expect(await seedDemoIfEmpty(database.orm)).not.toBeNull();
    // campaigns is not enabled by default: the demo enables every installed plugin
    expect(await seedPluginDemoData(database.orm, [pipeline, campaigns] as PluginManifest[])).toEqual(['pipeline', 'campaigns']);
    const [row] = await database.orm.em
      .fork()
      .getConnection()
      .execute<{ deals: number; won: number }[]>(
        `select count(*)::int as deals, count(*) filter (where status = 'won')::int as won from deal`,
      );
    expect(row!.deals).toBeGreaterThan(100);
    expect(row!.won).toBeGreaterThan(0);
    const segments = await database.orm.em
      .fork()
      .getConnection()
      .execute<{ name: string; kind: string; member_count: number }[]>(
        `select name, kind, member_count from campaign_segment order by name`,
      );
    expect(segments.map((s: { name: string; kind: string }) => [s.name, s.kind])).toEqual([
      ['Dormant contacts', 'dynamic'],
      ['Engaged customers', 'dynamic'],
      ['Newsletter subscribers', 'static'],
      ['Open leads', 'dynamic'],
    ]);
    for (const segment of segments) expect(segment.member_count).toBeGreaterThan(0);
  } finally {
    await database.close();
  }
}, 120_000);
