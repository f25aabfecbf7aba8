import type { AddressInfo } from 'node:net';
import type { SqlEntityManager } from '@mikro-orm/sql';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { withWorkspace } from '../../src/db/rls/tenant-context.js';
import { notify } from '../../src/core/notifications/notifications.service.js';
import { startTestServer, type TestServer } from '../support/harness.js';
import { until } from './helpers.js';

/** `Subscription.notificationAdded` over a real graphql-ws connection: each member receives their own, nobody else’s. */
let server: TestServer;
let url: string;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startTestServer();
  await server.app.http.listen({ port: 0, host: '127.0.0.1' });
  url = `ws://127.0.0.1:${(server.app.http.server.address() as AddressInfo).port}/graphql/ws`;
});
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await server?.close();
});

interface Received {
  titles: string[];
  errors: unknown[];
}

function subscribe(authorization: string): Received {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization },
    onNonLazyError: () => {},
  });
  clients.push(client);
  const received: Received = { titles: [], errors: [] };
  client.subscribe<{ notificationAdded: { title: string; type: string } }>(
    { query: `subscription { notificationAdded { id type title readAt } }` },
    {
      next: (result) =>
        result.errors ? received.errors.push(...result.errors) : received.titles.push(result.data!.notificationAdded.title),
      error: (error) => received.errors.push(...(Array.isArray(error) ? error : [error])),
      complete: () => {},
    },
  );
  return received;
}

test('a member receives their own new notifications, not another member’s', async () => {
  const ws = await server.newWorkspace();
  const bea = await ws.addMember('Bea Sales');
  const cid = await ws.addMember('Cid Sales');
  const forBea = subscribe(bea.headers.authorization!);
  const forCid = subscribe(cid.headers.authorization!);
  let n = 0;
  const send = (userId: string, title: string) =>
    withWorkspace(server.appOrm, ws.id, (em) =>
      em.transactional((tx) => notify(tx as SqlEntityManager, { workspaceId: ws.id, userIds: [userId], type: 'automation.notify', title })),
    );
  // until the subscription has taken its starting point, a notification may predate it: send until one arrives
  await until(async () => {
    await send(bea.id, `For Bea ${++n}`);
    return forBea.titles.length > 0;
  });
  await until(async () => {
    await send(cid.id, `For Cid ${++n}`);
    return forCid.titles.length > 0;
  });
  // Cid's stream is ordered: Bea's notifications committed before Cid's arrived would have come first
  await send(bea.id, 'For Bea, last');
  await send(cid.id, 'For Cid, last');
  await until(async () => forBea.titles.includes('For Bea, last') && forCid.titles.includes('For Cid, last'));
  expect(forBea.errors).toEqual([]);
  expect(forCid.errors).toEqual([]);
  expect(forBea.titles.every((t) => t.startsWith('For Bea'))).toBe(true);
  expect(forCid.titles.every((t) => t.startsWith('For Cid'))).toBe(true);
});

test('a connection without valid credentials receives nothing', async () => {
  const anonymous = subscribe('Bearer not-a-token');
  await until(async () => anonymous.errors.length > 0 || anonymous.titles.length > 0);
  expect(anonymous.titles).toEqual([]);
});
