/**
 * The per-request cost of the request session on PostgreSQL: the same small query run 200 times as the API's role,
 * once on a plain fork (autocommit, no tenant context) and once inside a full request session (begin, set_config,
 * query, commit). Run: `npm run build && node dist/bench/session-overhead.js` (BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/crm_bench_session — recreated).
 */
import { randomUUID } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { openAppDatabase } from '../src/app/database.js';
import { openRequestSession } from '../src/db/request-session.js';
import { recreateDatabase } from './seed.js';
import { log, measure, ms } from './lib.js';

const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/crm_bench_session';
await recreateDatabase(url);
const database = await openAppDatabase({ url, poolMax: 4 });
const owner = database.owner.em.getConnection();
const workspaceId = randomUUID();
await owner.execute(`insert into workspace (id, name, slug, created_at, updated_at) values (?, 'Bench', 'bench-session', now(), now())`, [
  workspaceId,
]);
for (let i = 0; i < 50; i++) {
  await owner.execute(
    `insert into tag (id, workspace_id, created_at, updated_at, name, normalized_name) values (?, ?, now(), now(), ?, ?)`,
    [randomUUID(), workspaceId, `Tag ${i}`, `tag ${i}`],
  );
}
const QUERY = 'select id, name from tag where workspace_id = ? order by normalized_name limit 20';
const orm = database.orm;
const options = { warmup: 50, iterations: 200 };

const plain = await measure(async () => {
  const em = orm.em.fork({ clear: true, useContext: false }) as SqlEntityManager;
  await em.execute(QUERY, [workspaceId]);
}, options);
const session = await measure(async () => {
  const s = await openRequestSession(orm, workspaceId);
  const rows = await s.em.execute<unknown[]>(QUERY, [workspaceId]);
  if (rows.length !== 20) throw new Error(`expected 20 rows in the session, got ${rows.length}`);
  await s.end();
}, options);

log(`plain fork (1 statement):              p50 ${ms(plain.p50)}  p95 ${ms(plain.p95)}`);
log(`request session (begin, set_config, query, commit): p50 ${ms(session.p50)}  p95 ${ms(session.p95)}`);
log(`overhead per request: p50 +${ms(session.p50 - plain.p50)}`);
await database.close();
