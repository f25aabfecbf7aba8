import { TestClock } from 'pg-boss';
import routesPlugin, { PURPOSE } from '../fixtures/plugins/http-routes/plugin.js';
import { pluginRouteUrl, signToken } from '../../src/sdk/index.js';
import { startPluginServer, type PluginTestServer, type PluginTestWorkspace } from '../../src/sdk/testing.js';

/**
 * Plugins' public routes (manifest `httpRoutes`) over real HTTP: what reaches the handler, `inWorkspace` (enabled,
 * disabled, unknown workspaces; commit and rollback), responses (redirects, failures that leak nothing).
 */
const clock = new TestClock(Date.parse('2026-12-10T08:00:00Z'));
let server: PluginTestServer;
let base: string;
let ws: PluginTestWorkspace;

beforeAll(async () => {
  server = await startPluginServer([routesPlugin], {
    env: { API_PUBLIC_URL: 'https://api.example.test/crm/', LOG_LEVEL: 'silent' },
    jobQueue: { clock, work: false },
  });
  base = await server.app.http.listen({ port: 0, host: '127.0.0.1' });
  ws = await server.newWorkspace();
  await ws.enable('routes');
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const em = () => server.appOrm.em;
const path = (p: string) => `${base}/plugins/routes${p}`;
const hits = async (workspaceId: string) =>
  (await server.orm.em.getConnection().execute(`select note from route_hit where workspace_id = ? order by note`, [workspaceId])).map(
    (r: { note: string }) => r.note,
  );

test('params, query, lower-case headers, a form or JSON body and the client address reach the handler', async () => {
  const get = await fetch(path('/echo/abc-123?x=1&x=2&y=%3Cz%3E'), { headers: { 'X-Probe': 'yes' } });
  expect(get.status).toBe(200);
  expect(get.headers.get('cache-control')).toBe('no-store');
  expect(get.headers.get('referrer-policy')).toBe('no-referrer');
  expect(await get.json()).toEqual({
    method: 'GET',
    params: { token: 'abc-123' },
    query: { x: '1', y: '<z>' },
    probe: 'yes',
    body: null,
    ip: '127.0.0.1',
  });

  const form = await fetch(path('/echo/t'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click&a=%E2%9C%93&a=2',
  });
  expect(((await form.json()) as { body: unknown }).body).toEqual({ 'List-Unsubscribe': 'One-Click', a: '✓' });
  const json = await fetch(path('/echo/t'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":[1,2]}' });
  expect(((await json.json()) as { body: unknown }).body).toEqual({ n: [1, 2] });
  const text = await fetch(path('/echo/t'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'plain words' });
  expect(((await text.json()) as { body: unknown }).body).toBe('plain words');

  // HEAD of a GET route answers without a body; unknown routes and methods are 404s of the host
  const head = await fetch(path('/echo/t'), { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(await head.text()).toBe('');
  expect((await fetch(path('/nowhere'))).status).toBe(404);
  expect((await fetch(path('/crash'), { method: 'POST' })).status).toBe(404);
});

test('a body over 64 KB is refused before the handler runs', async () => {
  const response = await fetch(path('/echo/t'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `a=${'x'.repeat(65 * 1024)}`,
  });
  expect(response.status).toBe(413);
});

test('inWorkspace runs in the workspace of a verified token with the plugin’s settings and the queue’s clock', async () => {
  const other = await server.newWorkspace();
  await other.enable('routes');
  const note = signToken(em(), PURPOSE.hit, `${ws.id}:first`);
  expect((await fetch(path(`/hit/${note}`), { method: 'POST' })).status).toBe(204);

  const response = await fetch(path(`/ws/${signToken(em(), PURPOSE.workspace, ws.id)}`));
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ workspaceId: ws.id, greeting: 'hello', hits: 1, now: '2026-12-10T08:00:00.000Z' });
  const elsewhere = await fetch(path(`/ws/${signToken(em(), PURPOSE.workspace, other.id)}`));
  expect(((await elsewhere.json()) as { hits: number }).hits).toBe(0);
  expect(await hits(ws.id)).toEqual(['first']);
});

test('inWorkspace answers { ok: false } where the plugin is disabled and for a workspace that does not exist', async () => {
  const disabled = await server.newWorkspace();
  const never = await fetch(path(`/hit/${signToken(em(), PURPOSE.hit, `${disabled.id}:never-enabled`)}`), { method: 'POST' });
  expect(never.status).toBe(404);
  await disabled.enable('routes');
  await disabled.disable('routes');
  const off = await fetch(path(`/hit/${signToken(em(), PURPOSE.hit, `${disabled.id}:disabled`)}`), { method: 'POST' });
  expect(off.status).toBe(404);
  const unknown = await fetch(path(`/hit/${signToken(em(), PURPOSE.hit, '00000000-0000-4000-8000-000000000000:ghost')}`), {
    method: 'POST',
  });
  expect(unknown.status).toBe(404);
  const notUuid = await fetch(path(`/hit/${signToken(em(), PURPOSE.hit, 'nonsense:ghost')}`), { method: 'POST' });
  expect(notUuid.status).toBe(404);
  expect(await hits(disabled.id)).toEqual([]);
});

test('a throw inside inWorkspace rolls its writes back and answers 500 without the message', async () => {
  const fresh = await server.newWorkspace();
  await fresh.enable('routes');
  const response = await fetch(path(`/hit/${signToken(em(), PURPOSE.hit, `${fresh.id}:boom`)}`), { method: 'POST' });
  expect(response.status).toBe(500);
  expect(await response.text()).toBe('Internal Server Error');
  expect(await hits(fresh.id)).toEqual([]);
  // the next request works (nothing left open)
  expect((await fetch(path(`/hit/${signToken(em(), PURPOSE.hit, `${fresh.id}:after`)}`), { method: 'POST' })).status).toBe(204);
  expect(await hits(fresh.id)).toEqual(['after']);
});

test('a throwing handler or an answer with a header line break is a 500 that leaks nothing', async () => {
  const crash = await fetch(path('/crash'));
  expect(crash.status).toBe(500);
  const body = await crash.text();
  expect(body).toBe('Internal Server Error');
  expect(body).not.toContain('4242');
  const bad = await fetch(path('/bad-header'));
  expect(bad.status).toBe(500);
  expect(bad.headers.get('set-cookie')).toBeNull();
  expect(bad.headers.get('x-injected')).toBeNull();
  expect(await bad.text()).toBe('Internal Server Error');
});

test('a redirect goes where the handler says; a forged or altered token goes nowhere', async () => {
  const token = signToken(em(), PURPOSE.go, 'https://example.org/landing?a=1');
  const response = await fetch(path(`/go/${token}`), { redirect: 'manual' });
  expect(response.status).toBe(302);
  expect(response.headers.get('location')).toBe('https://example.org/landing?a=1');
  const [keyId, , mac] = token.split('.');
  const forged = `${keyId}.${Buffer.from('https://evil.example').toString('base64url')}.${mac}`;
  expect((await fetch(path(`/go/${forged}`), { redirect: 'manual' })).status).toBe(404);
  // a token of another purpose does not redirect either
  expect((await fetch(path(`/go/${signToken(em(), PURPOSE.hit, 'https://evil.example')}`), { redirect: 'manual' })).status).toBe(404);
});

test('a one-click unsubscribe (RFC 8058 POST) changes consent through actAs inside inWorkspace', async () => {
  const created = await ws.ok(
    `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id doNotEmail } userErrors { message } } }`,
    { input: { firstName: 'Una', emails: [{ email: 'una@example.test', primary: true }] } },
  );
  const contactId = created.createContact.contact.id as string;
  expect(created.createContact.contact.doNotEmail).toBe(false);
  const url = pluginRouteUrl(em(), 'routes', `/unsubscribe/${signToken(em(), PURPOSE.unsubscribe, `${ws.id}:${contactId}`)}`);
  expect(url.startsWith('https://api.example.test/crm/plugins/routes/unsubscribe/')).toBe(true);
  const response = await fetch(`${base}${new URL(url).pathname.replace(/^\/crm/, '')}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(response.status).toBe(200);
  const read = await ws.ok(`query($id: ID!) { node(id: $id) { ... on Contact { doNotEmail } } }`, { id: contactId });
  expect(read.node.doNotEmail).toBe(true);
  const [change] = await server.orm.em
    .getConnection()
    .execute(`select actor_kind, source from consent_change where workspace_id = ?`, [ws.id]);
  expect(change).toEqual({ actor_kind: 'UNSUBSCRIBE', source: 'List-Unsubscribe-Post' });
});

test('pluginRouteUrl refuses paths that are not a filled-in route path', () => {
  expect(pluginRouteUrl(em(), 'routes', '/t/o/abc')).toBe('https://api.example.test/crm/plugins/routes/t/o/abc');
  for (const bad of ['t/o', '//evil.example/x', '/a b', '/a\nb', '/a?b#c'])
    expect(() => pluginRouteUrl(em(), 'routes', bad)).toThrow(/pluginRouteUrl/);
  expect(() => pluginRouteUrl(em(), '../x', '/a')).toThrow(/plugin id/);
});
