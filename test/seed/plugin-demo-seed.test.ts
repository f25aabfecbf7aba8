import { openAppDatabase } from '../../src/app/database.js';
import { allMigrations, pluginEntities } from '../../src/plugin-host/plugin-migrations.js';
import { seedDemoIfEmpty } from '../../src/seed/demo.js';
import { seedPluginDemoData } from '../../src/seed/plugin-demo.js';
import pipeline from '../../plugins/pipeline/plugin.js';
import type { PluginManifest } from '../../src/plugin-host/manifest.js';

/**
 * `npm start` on an empty database seeds the demo workspace, then every enabled plugin's demo data — before the app
 * (and its registration of plugins' permissions) exists. In-memory PGlite, as a first start.
 */
test('a first start seeds the plugins’ demo data in the demo workspace', async () => {
  const loaded = [{ id: pipeline.id, manifest: pipeline as PluginManifest, source: 'plugins/pipeline', builtin: true }];
  const database = await openAppDatabase({ url: undefined, pluginEntities: pluginEntities(loaded), migrations: allMigrations(loaded) });
  try {
    expect(await seedDemoIfEmpty(database.orm)).not.toBeNull();
    expect(await seedPluginDemoData(database.orm, [pipeline])).toEqual(['pipeline']);
    const [row] = await database.orm.em
      .fork()
      .getConnection()
      .execute<{ deals: number; won: number }[]>(
        `select count(*)::int as deals, count(*) filter (where status = 'won')::int as won from deal`,
      );
    expect(row!.deals).toBeGreaterThan(100);
    expect(row!.won).toBeGreaterThan(0);
  } finally {
    await database.close();
  }
}, 120_000);
