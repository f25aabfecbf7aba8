import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startTestServer, type TestServer } from '../support/harness.js';
import { fixturePlugins } from './loyalty.fixture.js';

/** GraphQL over WebSocket (/graphql/ws) answers a disabled module's types like POST /graphql: MODULE_DISABLED. */
let server: TestServer;
let url: string;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startTestServer({ plugins: fixturePlugins });
  await server.app.http.listen({ port: 0, host: '127.0.0.1' });
  url = `ws://127.0.0.1:${(server.app.http.server.address() as AddressInfo).port}/graphql/ws`;
});
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await server?.close();
});

type WsError = { message: string; extensions?: Record<string, unknown> };

/** The errors a subscription is refused with (it must be refused, not started). */
function refusal(authorization: string, query: string): Promise<WsError[]> {
  const client = createClient({ url, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, connectionParams: { authorization } });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.subscribe(
      { query },
      {
        next: (result) => (result.errors ? resolve(result.errors as WsError[]) : reject(new Error(`started: ${JSON.stringify(result)}`))),
        error: (error) => (Array.isArray(error) ? resolve(error as WsError[]) : reject(error)),
        complete: () => reject(new Error('completed without an error')),
      },
    );
  });
}

const ENABLE = `mutation($id: ID!) { enableModule(input: { id: $id }) { userErrors { message } } }`;

test('a subscription naming a disabled module’s type: MODULE_DISABLED with the module id; a typo: a plain validation error', async () => {
  const ws = await server.newWorkspace();
  const authorization = ws.headers.authorization!;
  const disabled = await refusal(authorization, `subscription { events { type ... on LoyaltyLeader { points } } }`);
  expect(disabled).toEqual([
    expect.objectContaining({
      message: 'Unknown type "LoyaltyLeader": it belongs to the module Loyalty points (loyalty), which is not enabled in this workspace.',
      extensions: { code: 'MODULE_DISABLED', module: 'loyalty' },
    }),
  ]);
  const typo = await refusal(authorization, `subscription { events { tpye } }`);
  expect(typo).toHaveLength(1);
  expect(typo[0]!.message).toMatch(/^Cannot query field "tpye" on type "DomainEvent"/);
  expect(typo[0]!.extensions?.code).not.toBe('MODULE_DISABLED');

  // enabled: the type is known, so the same operation fails for what it is (the spread cannot match), not the module
  expect((await ws.ok(ENABLE, { id: 'loyalty' })).enableModule.userErrors).toEqual([]);
  const enabled = await refusal(authorization, `subscription { events { type ... on LoyaltyLeader { points } } }`);
  expect(enabled.map((e) => e.message)).toEqual([expect.stringMatching(/Fragment cannot be spread here/)]);
  expect(enabled[0]!.extensions?.code).not.toBe('MODULE_DISABLED');
});
