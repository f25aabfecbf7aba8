// Not a test: times 200 sequential updateContact mutations through the HTTP stack with and without the audit
// subscriber. Usage: npm run build && BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench node test/audit/measure-audit-cost.mjs
import { MikroORM } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
const D = new URL('../../dist/src', import.meta.url).pathname; // run `npm run build` first
const { ormOptions, migrate } = await import(`${D}/db/orm.js`);
const { loadConfig } = await import(`${D}/config.js`);
const { createLogger } = await import(`${D}/logger.js`);
const { createApp } = await import(`${D}/app/http-app.js`);
const { Workspace } = await import(`${D}/core/workspaces/workspace.entity.js`);
const { User } = await import(`${D}/core/identity/user.entity.js`);
const { Membership } = await import(`${D}/core/identity/membership.entity.js`);
const { issueSession } = await import(`${D}/core/auth/auth.module.js`);
const { AuditSubscriber } = await import(`${D}/core/audit/audit.subscriber.js`);

// time spent inside the subscriber itself (building entries in onFlush, the insert in afterFlush)
let inSubscriber = 0n;
for (const hook of ['onFlush', 'afterFlush']) {
  const original = AuditSubscriber.prototype[hook];
  AuditSubscriber.prototype[hook] = async function (args) {
    const t = process.hrtime.bigint();
    try {
      return await original.call(this, args);
    } finally {
      inSubscriber += process.hrtime.bigint() - t;
    }
  };
}

const url = process.env.BENCH_DATABASE_URL;
const N = 200;
const config = loadConfig({ NODE_ENV: 'test', ...(url ? { DATABASE_URL: url } : {}), LOG_LEVEL: 'silent' });
const logger = createLogger(config);

async function run(audit) {
  const opts = ormOptions({ url, poolMax: 4 });
  const orm = await MikroORM.init(audit ? opts : { ...opts, subscribers: [] });
  await migrate(orm);
  const app = await createApp({ orm, config, logger });
  const em = orm.em.fork();
  const slug = `b-${randomUUID().slice(0, 12)}`;
  const ws = em.create(Workspace, { name: slug, slug });
  const user = em.create(User, { email: `a@${slug}.test`, name: 'Bench' });
  em.create(Membership, { workspaceId: ws.id, userId: user.id, role: 'ADMIN' });
  await em.flush();
  const tokens = await issueSession(orm.em.fork(), { workspaceId: ws.id, userId: user.id }, config);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${tokens.accessToken}` };
  const gql = async (query, variables) =>
    JSON.parse((await app.http.inject({ method: 'POST', url: '/graphql', headers, payload: JSON.stringify({ query, variables }) })).body);
  const created = await gql(
    `mutation { createContact(input: { firstName: "Bench", lastName: "Mark", jobTitle: "t0" }) { contact { id version } } }`,
  );
  let { id, version } = created.data.createContact.contact;
  const update = `mutation($input: UpdateContactInput!) { updateContact(input: $input) { contact { version } userErrors { field } } }`;
  const once = async (i) => {
    const r = await gql(update, { input: { id, version, jobTitle: `title ${i}`, lastName: `Mark ${i % 7}` } });
    if (r.errors || r.data.updateContact.userErrors.length) throw new Error(JSON.stringify(r));
    version = r.data.updateContact.contact.version;
  };
  for (let i = 0; i < 30; i++) await once(i); // warm-up
  inSubscriber = 0n;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await once(i + 100);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const [row] = await orm.em.getConnection().execute('select count(*)::int as n from audit_log where workspace_id = ?', [ws.id]);
  await app.close();
  await orm.close(true);
  return { ms, perOp: ms / N, auditRows: Number(row.n), subscriberPerOp: Number(inSubscriber) / 1e6 / N };
}

const results = { with: [], without: [] };
for (let round = 0; round < 4; round++) {
  for (const mode of round % 2 ? ['without', 'with'] : ['with', 'without']) {
    const r = await run(mode === 'with');
    results[mode].push(r);
    console.log(
      round,
      mode,
      `${r.ms.toFixed(0)} ms / ${N} = ${r.perOp.toFixed(2)} ms per updateContact; audit rows ${r.auditRows}; in the subscriber ${r.subscriberPerOp.toFixed(2)} ms per updateContact`,
    );
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const w = median(results.with.map((r) => r.perOp));
const wo = median(results.without.map((r) => r.perOp));
const sub = median(results.with.map((r) => r.subscriberPerOp));
console.log(`median time inside the audit subscriber: ${sub.toFixed(2)} ms per updateContact`);
console.log(
  `median per updateContact: with audit ${w.toFixed(2)} ms, without ${wo.toFixed(2)} ms, added ${(w - wo).toFixed(2)} ms (${((w / wo - 1) * 100).toFixed(1)}%)`,
);
