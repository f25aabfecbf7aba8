import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { Contact } from '../../src/core/customers/contact.entity.js';
import { attachAuditActor } from '../../src/db/audit-context.js';
import { ErrorCode, InputRejected } from '../../src/graphql/errors.js';
import {
  OutboxWorker,
  declareEventType,
  emitEvent,
  registerHook,
  registerSubscriber,
  setPluginEnabledCheck,
  type OutboxWorkerOptions,
} from '../../src/events/index.js';
import type { DomainEvent } from '../../src/plugin-host/manifest.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

/**
 * Domain events, before hooks and the transactional outbox. Runs on PGlite and on PostgreSQL (there the worker
 * serves as the application role, under row-level security, through the `outbox_worker` policy).
 */
let server: TestServer;
let ws: TestWorkspace;
const cleanups: (() => unknown)[] = [];
let worker: OutboxWorker | null = null;

beforeAll(async () => {
  server = await startTestServer();
  ws = await server.newWorkspace();
});
afterEach(async () => {
  await worker?.stop(1000);
  worker = null;
  while (cleanups.length) await cleanups.pop()!();
  setPluginEnabledCheck(() => true);
});
afterAll(() => server.close());

function startWorker(options: Partial<OutboxWorkerOptions> = {}): OutboxWorker {
  worker = new OutboxWorker({ orm: server.appOrm, pollMs: 20, backoffBaseMs: 20, leaseMarginMs: 1000, ...options }).start();
  return worker;
}

function subscribe(...args: Parameters<typeof registerSubscriber>) {
  cleanups.push(registerSubscriber(...args));
}

function hook(...args: Parameters<typeof registerHook>) {
  cleanups.push(registerHook(...args));
}

async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const owner = () => server.orm.em.getConnection();

async function events(workspaceId: string, type?: string) {
  return owner().execute<{ id: string; type: string; payload: any; actor_user_id: string | null }[]>(
    `select id, type, payload, actor_user_id from outbox_event where workspace_id = ? ${type ? 'and type = ?' : ''} order by occurred_at, id`,
    type ? [workspaceId, type] : [workspaceId],
  );
}

async function deliveries(workspaceId: string, subscriber: string) {
  return owner().execute<{ id: string; event_id: string; status: string; attempts: number; last_error: string | null }[]>(
    `select id, event_id, status, attempts, last_error from outbox_delivery where workspace_id = ? and subscriber = ? order by created_at, id`,
    [workspaceId, subscriber],
  );
}

async function createContact(w: TestWorkspace, input: Record<string, unknown>) {
  return w.gql(
    `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id firstName jobTitle version } userErrors { field message code } } }`,
    { input },
  );
}

describe('kernel domain events', () => {
  it("records contact.created, contact.updated (changed fields before/after) and contact.lifecycleChanged in the write's transaction", async () => {
    const w = await server.newWorkspace();
    const created = await createContact(w, { firstName: 'Ada', lastName: 'Lovelace' });
    const contact = created.data!.createContact.contact;
    const [createdEvent] = await events(w.id, 'contact.created');
    expect(createdEvent).toMatchObject({ actor_user_id: w.userId, payload: { contact: { firstName: 'Ada', lastName: 'Lovelace' } } });

    const updated = await w.ok(`mutation($input: UpdateContactInput!) { updateContact(input: $input) { userErrors { field } } }`, {
      input: { id: contact.id, version: contact.version, jobTitle: 'Countess', lifecycleStage: 'CUSTOMER' },
    });
    expect(updated.updateContact.userErrors).toEqual([]);
    const [update] = await events(w.id, 'contact.updated');
    expect(update!.payload.changedFields.sort()).toEqual(['jobTitle', 'lifecycleStage']);
    expect(update!.payload.changes).toEqual({
      jobTitle: { before: null, after: 'Countess' },
      lifecycleStage: { before: 'LEAD', after: 'CUSTOMER' },
    });
    const [lifecycle] = await events(w.id, 'contact.lifecycleChanged');
    expect(lifecycle!.payload).toMatchObject({ before: 'LEAD', after: 'CUSTOMER' });

    await w.ok(`mutation($id: ID!) { deleteContact(id: $id) { userErrors { field } } }`, { id: contact.id });
    // one event per write, in write order; the update and its lifecycle change share the transaction's timestamp
    const types = (await events(w.id)).map((e) => e.type);
    expect([types[0], [types[1], types[2]].sort(), types[3]]).toEqual([
      'contact.created',
      ['contact.lifecycleChanged', 'contact.updated'],
      'contact.deleted',
    ]);
    expect(await events(w.id, 'contact.deleted')).toHaveLength(1);
  });

  it('records company.created, activity.logged and task.completed', async () => {
    const w = await server.newWorkspace();
    const company = await w.ok(`mutation { createCompany(input: { name: "Acme" }) { company { id } userErrors { field } } }`);
    expect(await events(w.id, 'company.created')).toHaveLength(1);
    const logged = await w.ok(
      `mutation($input: LogActivityInput!) { logActivity(input: $input) { activity { id } userErrors { field message } } }`,
      {
        input: { type: 'TASK', subject: 'Call back', targetIds: [company.createCompany.company.id] },
      },
    );
    expect(logged.logActivity.userErrors).toEqual([]);
    expect(await events(w.id, 'activity.logged')).toHaveLength(1);
    const done = await w.ok(`mutation($id: ID!) { completeTask(id: $id) { userErrors { field message } } }`, {
      id: logged.logActivity.activity.id,
    });
    expect(done.completeTask.userErrors).toEqual([]);
    const [completed] = await events(w.id, 'task.completed');
    expect(completed!.payload).toMatchObject({ subject: 'Call back' });
  });

  it('leaves no event when the write rolls back, even after its flush', async () => {
    const w = await server.newWorkspace();
    cleanups.push(declareEventType('test.pluginEvent'));
    const em = server.appOrm.em.fork();
    await expect(
      em.transactional(async (tx) => {
        if (server.appOrm !== server.orm) await tx.execute(`select set_config('app.workspace_id', ?, true)`, [w.id]);
        attachAuditActor(tx, { workspaceId: w.id, userId: w.userId, apiKeyId: null, ip: null });
        tx.create(Contact, { workspaceId: w.id, firstName: 'Ghost', emails: [], phones: [], customFields: {} } as unknown as Contact);
        await tx.flush();
        await emitEvent(tx, { type: 'test.pluginEvent', payload: { n: 1 } });
        expect(Number((await tx.execute(`select count(*)::int as n from outbox_event where workspace_id = ?`, [w.id]))[0]?.n)).toBe(2);
        throw new Error('boom after the flush');
      }),
    ).rejects.toThrow('boom after the flush');
    expect(await events(w.id)).toEqual([]);
    expect(await server.count('contact', w.id)).toBe(0);
  });

  it('refuses to emit an event type nobody declared, and writes nothing', async () => {
    const w = await server.newWorkspace();
    const em = server.appOrm.em.fork();
    await expect(
      em.transactional(async (tx) => {
        if (server.appOrm !== server.orm) await tx.execute(`select set_config('app.workspace_id', ?, true)`, [w.id]);
        await emitEvent(tx, { type: 'test.undeclared', payload: {}, workspaceId: w.id });
      }),
    ).rejects.toThrow(`emitEvent("test.undeclared"): no installed plugin declares this event type`);
    expect(await events(w.id)).toEqual([]);
  });
});

describe('before hooks', () => {
  it('run in order (`order`, then registration order) inside the write and may amend the draft', async () => {
    const seen: string[] = [];
    hook({ plugin: 'kernel', on: 'contact.create', order: 200, run: () => void seen.push('late') });
    hook({ plugin: 'kernel', on: 'contact.create', order: 50, run: () => void seen.push('early-1') });
    hook({
      plugin: 'kernel',
      on: 'contact.create',
      run: (draft) => {
        seen.push('default');
        draft.jobTitle = `${String(draft.jobTitle ?? '')} (checked)`.trim();
      },
    });
    hook({ plugin: 'kernel', on: 'contact.create', order: 50, run: () => void seen.push('early-2') });
    hook({ plugin: 'kernel', on: 'contact.update', run: () => void seen.push('update') });
    const res = await createContact(ws, { firstName: 'Hook', jobTitle: 'Engineer' });
    expect(res.data!.createContact.userErrors).toEqual([]);
    expect(res.data!.createContact.contact.jobTitle).toBe('Engineer (checked)');
    expect(seen).toEqual(['early-1', 'early-2', 'default', 'late']);
    await ws.ok(`mutation($input: UpdateContactInput!) { updateContact(input: $input) { userErrors { field } } }`, {
      input: { id: res.data!.createContact.contact.id, version: res.data!.createContact.contact.version, jobTitle: 'x' },
    });
    expect(seen.at(-1)).toBe('update');
  });

  it('veto the write with a user error: nothing is written (no contact, no audit entry, no event)', async () => {
    const w = await server.newWorkspace();
    const ran: string[] = [];
    hook({ plugin: 'kernel', on: 'contact.create', order: 1, run: () => void ran.push('first') });
    hook({
      plugin: 'kernel',
      on: 'contact.create',
      order: 2,
      run: (draft) => {
        if (draft.firstName === 'Bob') throw InputRejected.one('firstName', 'no Bobs here', ErrorCode.BAD_USER_INPUT);
      },
    });
    hook({ plugin: 'kernel', on: 'contact.create', order: 3, run: () => void ran.push('after-veto') });
    const before = {
      contact: await server.count('contact', w.id),
      audit: await server.count('audit_log', w.id),
      events: await server.count('outbox_event', w.id),
    };
    const res = await createContact(w, { firstName: 'Bob' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createContact).toEqual({
      contact: null,
      userErrors: [{ field: ['firstName'], message: 'no Bobs here', code: ErrorCode.BAD_USER_INPUT }],
    });
    expect(ran).toEqual(['first']);
    expect({
      contact: await server.count('contact', w.id),
      audit: await server.count('audit_log', w.id),
      events: await server.count('outbox_event', w.id),
    }).toEqual(before);
    expect((await createContact(w, { firstName: 'Alice' })).data!.createContact.userErrors).toEqual([]);
    expect(await server.count('contact', w.id)).toBe(before.contact + 1);
  });

  it("skip a plugin's hooks where the plugin is disabled", async () => {
    const w = await server.newWorkspace();
    setPluginEnabledCheck((workspaceId, plugin) => !(plugin === 'acme' && workspaceId === w.id));
    hook({
      plugin: 'acme',
      on: 'contact.create',
      run: () => {
        throw InputRejected.one('firstName', 'acme says no');
      },
    });
    expect((await createContact(w, { firstName: 'Free' })).data!.createContact.userErrors).toEqual([]);
    expect((await createContact(ws, { firstName: 'Blocked' })).data!.createContact.userErrors).toEqual([
      expect.objectContaining({ message: 'acme says no' }),
    ]);
  });
});

describe('outbox worker', () => {
  it('delivers each event with its id to the subscribers of its type', async () => {
    const w = await server.newWorkspace();
    const got: DomainEvent[] = [];
    subscribe({ plugin: 'kernel', name: 'recorder', on: ['contact.created'], handle: async (event) => void got.push(event) });
    startWorker();
    await createContact(w, { firstName: 'Deliver', lastName: 'Me' });
    const [event] = await events(w.id, 'contact.created');
    const delivered = await waitFor(() => got.find((e) => e.workspaceId === w.id));
    expect(delivered).toMatchObject({
      id: event!.id,
      type: 'contact.created',
      workspaceId: w.id,
      actor: { userId: w.userId, apiKeyId: null },
      payload: { contact: { firstName: 'Deliver' } },
    });
    expect(delivered.occurredAt).toBeInstanceOf(Date);
    await waitFor(async () => (await deliveries(w.id, 'kernel/recorder'))[0]?.status === 'delivered');
    expect(await deliveries(w.id, 'kernel/recorder')).toEqual([
      expect.objectContaining({ event_id: event!.id, status: 'delivered', attempts: 1 }),
    ]);
  });

  it('retries a throwing subscriber with back-off, then dead-letters it, while another subscriber of the same event is delivered and the server stays healthy', async () => {
    const w = await server.newWorkspace();
    const good: string[] = [];
    let badCalls = 0;
    let badFixed = false;
    subscribe({ plugin: 'kernel', name: 'good', on: ['company.created'], handle: async (e) => void good.push(e.id) });
    subscribe({
      plugin: 'kernel',
      name: 'bad',
      on: ['company.created'],
      maxAttempts: 3,
      handle: async () => {
        badCalls++;
        if (!badFixed) throw new Error(`bad subscriber failure #${badCalls}`);
      },
    });
    startWorker();
    await w.ok(`mutation { createCompany(input: { name: "Throwing Co" }) { userErrors { field } } }`);
    const [event] = await events(w.id, 'company.created');
    await waitFor(() => good.includes(event!.id));
    const [dead] = await waitFor(async () => {
      const rows = await deliveries(w.id, 'kernel/bad');
      return rows[0]?.status === 'dead' && rows;
    });
    expect(dead).toMatchObject({ attempts: 3, last_error: 'bad subscriber failure #3' });
    expect(badCalls).toBe(3);
    expect((await deliveries(w.id, 'kernel/good'))[0]).toMatchObject({ status: 'delivered', attempts: 1 });

    // the server is fine
    const health = await server.app.http.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect((await w.ok(`{ companies(first: 5) { nodes { name } } }`)).companies.nodes).toEqual([{ name: 'Throwing Co' }]);

    // the dead-letter list, for admins only
    const list = await w.ok(`{ deadLetters(first: 10) { nodes { id eventId eventType subscriber attempts lastError payload } } }`);
    expect(list.deadLetters.nodes).toEqual([
      expect.objectContaining({
        eventId: event!.id,
        eventType: 'company.created',
        subscriber: 'kernel/bad',
        attempts: 3,
        lastError: 'bad subscriber failure #3',
        payload: expect.objectContaining({ company: expect.objectContaining({ name: 'Throwing Co' }) }),
      }),
    ]);
    const sales = await w.addMember('Sam Sales', MembershipRole.SALES);
    const denied = await server.gql(`{ deadLetters(first: 10) { nodes { id } } }`, undefined, sales.headers);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const other = await server.newWorkspace();
    expect((await other.ok(`{ deadLetters(first: 10) { nodes { id } } }`)).deadLetters.nodes).toEqual([]);
    const foreignRetry = await other.ok(`mutation($id: ID!) { retryDeadLetter(id: $id) { userErrors { code } } }`, {
      id: list.deadLetters.nodes[0].id,
    });
    expect(foreignRetry.retryDeadLetter.userErrors).toEqual([{ code: 'NOT_FOUND' }]);

    // an admin retries it once the subscriber is fixed: redelivered with the same event id
    badFixed = true;
    const retried = await w.ok(`mutation($id: ID!) { retryDeadLetter(id: $id) { deadLetter { eventId } userErrors { field } } }`, {
      id: list.deadLetters.nodes[0].id,
    });
    expect(retried.retryDeadLetter).toEqual({ deadLetter: { eventId: event!.id }, userErrors: [] });
    await waitFor(async () => (await deliveries(w.id, 'kernel/bad'))[0]?.status === 'delivered');
    expect(badCalls).toBe(4);
    expect((await w.ok(`{ deadLetters(first: 10) { nodes { id } } }`)).deadLetters.nodes).toEqual([]);
    expect(good).toEqual([event!.id]);
  });

  it('times out a hanging subscriber without blocking other deliveries', async () => {
    const w = await server.newWorkspace();
    const fast: string[] = [];
    let hangs = 0;
    subscribe({
      plugin: 'kernel',
      name: 'hangs',
      on: ['contact.created'],
      timeoutMs: 150,
      maxAttempts: 2,
      handle: () => {
        hangs++;
        return new Promise<void>(() => undefined);
      },
    });
    subscribe({ plugin: 'kernel', name: 'fast', on: ['contact.created'], handle: async (e) => void fast.push(e.id) });
    startWorker({ concurrency: 2 });
    for (const name of ['One', 'Two', 'Three']) await createContact(w, { firstName: name });
    const ids = (await events(w.id, 'contact.created')).map((e) => e.id);
    await waitFor(() => ids.every((id) => fast.includes(id)));
    const rows = await waitFor(async () => {
      const r = await deliveries(w.id, 'kernel/hangs');
      return r.length === 3 && r.every((d) => d.status === 'dead') && r;
    });
    expect(rows.map((r) => [r.attempts, r.last_error])).toEqual(Array(3).fill([2, 'timed out after 150 ms']));
    expect(hangs).toBe(6);
    expect((await server.app.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it("skips the deliveries of a plugin disabled in the event's workspace", async () => {
    const w = await server.newWorkspace();
    const got: string[] = [];
    subscribe({ plugin: 'acme', name: 'listener', on: ['contact.created'], handle: async (e) => void got.push(e.workspaceId) });
    subscribe({ plugin: 'kernel', name: 'witness', on: ['contact.created'], handle: async () => undefined });
    startWorker({ isEnabled: (workspaceId, plugin) => !(plugin === 'acme' && workspaceId === w.id) });
    await createContact(w, { firstName: 'Disabled' });
    await createContact(ws, { firstName: 'Enabled' });
    await waitFor(async () => (await deliveries(w.id, 'acme/listener'))[0]?.status === 'skipped');
    await waitFor(() => got.includes(ws.id));
    expect(got).not.toContain(w.id);
  });

  it('runs an idempotent subscriber once per event: a failed attempt leaves no claim, a redelivery of a handled event skips the handler', async () => {
    const w = await server.newWorkspace();
    const calls: string[] = [];
    const plain: string[] = [];
    subscribe({
      plugin: 'kernel',
      name: 'once',
      on: ['company.created'],
      idempotent: true,
      handle: async (e) => {
        calls.push(e.id);
        if (calls.length === 1) throw new Error('first attempt fails');
      },
    });
    subscribe({ plugin: 'kernel', name: 'plain', on: ['company.created'], handle: async (e) => void plain.push(e.id) });
    const claims = () =>
      owner().execute<{ subscriber: string; workspace_id: string }[]>(
        `select subscriber, workspace_id from processed_event where event_id = ?`,
        [event!.id],
      );
    startWorker();
    await w.ok(`mutation { createCompany(input: { name: "Once Co" }) { userErrors { field } } }`);
    const [event] = await events(w.id, 'company.created');
    await waitFor(async () => (await deliveries(w.id, 'kernel/once'))[0]?.status === 'delivered');
    expect(calls).toEqual([event!.id, event!.id]);
    expect((await deliveries(w.id, 'kernel/once'))[0]).toMatchObject({ attempts: 2 });
    // only the subscriber that asked for it is recorded, once
    expect(await claims()).toEqual([{ subscriber: 'kernel/once', workspace_id: w.id }]);

    // a redelivery (as after a crash between the handler's commit and the delivery's settle)
    await waitFor(async () => (await deliveries(w.id, 'kernel/plain'))[0]?.status === 'delivered');
    await owner().execute(
      `update outbox_delivery set status = 'pending', next_attempt_at = clock_timestamp(), delivered_at = null where event_id = ?`,
      [event!.id],
    );
    await waitFor(
      async () => (await deliveries(w.id, 'kernel/once'))[0]?.attempts === 3 && (await deliveries(w.id, 'kernel/plain'))[0]?.attempts === 2,
    );
    await waitFor(async () => (await deliveries(w.id, 'kernel/once'))[0]?.status === 'delivered');
    expect(calls).toHaveLength(2);
    expect(plain).toEqual([event!.id, event!.id]);
    expect(await claims()).toHaveLength(1);
  });

  async function emitTicks(workspaceId: string, type: string, count: number) {
    await server.appOrm.em.fork().transactional(async (tx) => {
      if (server.appOrm !== server.orm) await tx.execute(`select set_config('app.workspace_id', ?, true)`, [workspaceId]);
      for (let i = 0; i < count; i++) await emitEvent(tx, { type, payload: { i }, workspaceId });
    });
  }
  const claimsOf = async (workspaceId: string, subscriber: string) =>
    Number(
      (
        await owner().execute<{ n: number }[]>(`select count(*) as n from processed_event where workspace_id = ? and subscriber = ?`, [
          workspaceId,
          subscriber,
        ])
      )[0]!.n,
    );

  it("handles one workspace's deliveries as a batch: a throwing handler rolls back only its own work", async () => {
    const w = await server.newWorkspace();
    cleanups.push(declareEventType('test.batched'));
    const kept: string[] = [];
    subscribe({ plugin: 'kernel', name: 'keeps', on: ['test.batched'], idempotent: true, handle: async (e) => void kept.push(e.id) });
    subscribe({
      plugin: 'kernel',
      name: 'throws',
      on: ['test.batched'],
      idempotent: true,
      maxAttempts: 1,
      handle: async () => {
        throw new Error('refused');
      },
    });
    await emitTicks(w.id, 'test.batched', 6);
    startWorker({ concurrency: 1, groupSize: 16 });
    await waitFor(async () => (await deliveries(w.id, 'kernel/throws')).every((d) => d.status === 'dead'));
    await waitFor(async () => (await deliveries(w.id, 'kernel/keeps')).every((d) => d.status === 'delivered'));
    // each handled once, its claim kept; the thrower's claims rolled back with its savepoint (PGlite: removed)
    expect(kept).toHaveLength(6);
    expect(new Set(kept).size).toBe(6);
    expect(await claimsOf(w.id, 'kernel/keeps')).toBe(6);
    expect(await claimsOf(w.id, 'kernel/throws')).toBe(0);
    expect((await deliveries(w.id, 'kernel/keeps')).map((d) => d.attempts)).toEqual(Array(6).fill(1));
    expect((await deliveries(w.id, 'kernel/throws')).map((d) => [d.attempts, d.last_error])).toEqual(Array(6).fill([1, 'refused']));
  });

  it('gives back the rest of a batch unpenalised when a handler hangs, and delivers it at the next poll', async () => {
    const w = await server.newWorkspace();
    cleanups.push(declareEventType('test.hangsOnce'));
    let hung = false;
    subscribe({
      plugin: 'kernel',
      name: 'hangsOnce',
      on: ['test.hangsOnce'],
      timeoutMs: 150,
      maxAttempts: 3,
      handle: () => {
        if (hung) return Promise.resolve();
        hung = true;
        return new Promise<void>(() => undefined);
      },
    });
    subscribe({ plugin: 'kernel', name: 'keepsToo', on: ['test.hangsOnce'], idempotent: true, handle: async () => undefined });
    await emitTicks(w.id, 'test.hangsOnce', 4);
    startWorker({ concurrency: 1, groupSize: 16 });
    await waitFor(async () =>
      [...(await deliveries(w.id, 'kernel/hangsOnce')), ...(await deliveries(w.id, 'kernel/keepsToo'))].every(
        (d) => d.status === 'delivered',
      ),
    );
    const hangs = await deliveries(w.id, 'kernel/hangsOnce');
    // the one that hung counts its attempt; every other delivery of the batch was released without counting one
    expect(hangs.map((d) => d.attempts).sort()).toEqual([1, 1, 1, 2]);
    expect((await deliveries(w.id, 'kernel/keepsToo')).map((d) => d.attempts)).toEqual(Array(4).fill(1));
    expect(await claimsOf(w.id, 'kernel/keepsToo')).toBe(4);
  });

  it('never lets two workers deliver the same claimed delivery', async () => {
    const w = await server.newWorkspace();
    const counts = new Map<string, number>();
    cleanups.push(declareEventType('test.tick'));
    subscribe({
      plugin: 'kernel',
      name: 'counter',
      on: ['test.tick'],
      handle: async (e) => {
        counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 5));
      },
    });
    const em = server.appOrm.em.fork();
    await em.transactional(async (tx) => {
      if (server.appOrm !== server.orm) await tx.execute(`select set_config('app.workspace_id', ?, true)`, [w.id]);
      for (let i = 0; i < 40; i++) await emitEvent(tx, { type: 'test.tick', payload: { i }, workspaceId: w.id });
    });
    const a = new OutboxWorker({ orm: server.appOrm, pollMs: 5, batchSize: 5 });
    const b = new OutboxWorker({ orm: server.appOrm, pollMs: 5, batchSize: 5 });
    a.start();
    b.start();
    try {
      await waitFor(async () => (await deliveries(w.id, 'kernel/counter')).every((d) => d.status === 'delivered'));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(counts.size).toBe(40);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
});
