import {
  actAs,
  activityTargetIds,
  contactOrReject,
  InputRejected,
  readableCompany,
  readableContact,
  readableContactIds,
  workspaceMemberIds,
  type RequestContext,
} from '../../src/sdk/index.js';
import { startPluginServer, type PluginTestServer, type PluginTestWorkspace } from '../../src/sdk/testing.js';
import '../../src/app/kernel-entities.js'; // the kernel, loaded before the kit starts a server

/**
 * The SDK's reads of kernel records for plugins (src/sdk/kernel-api.ts): every one applies the acting principal's
 * record scope and leaves trashed records out. A SALES member reads only their own contacts here (no team).
 */

let server: PluginTestServer;
let ws: PluginTestWorkspace;
let member: { id: string; ok: PluginTestWorkspace['ok'] };
const ids = {} as Record<'admins' | 'own' | 'trashed' | 'company' | 'activity', string>; // set in beforeAll

const uuid = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':').pop()!;
const as = <T>(userId: string | null, work: (ctx: RequestContext) => Promise<T>) =>
  actAs({ workspaceId: ws.id, em: server.orm.em.fork(), settings: {} }, userId, work);

beforeAll(async () => {
  server = await startPluginServer([]);
  ws = await server.newWorkspace();
  member = await ws.addMember('Sam Sales', 'SALES');
  const create = async (client: { ok: PluginTestWorkspace['ok'] }, firstName: string) =>
    (await client.ok(`mutation($n: String!) { createContact(input: { firstName: $n }) { contact { id } } }`, { n: firstName }))
      .createContact.contact.id as string;
  ids.admins = await create(ws, 'Adele');
  ids.own = await create(member, 'Own');
  ids.trashed = await create(member, 'Gone');
  ids.company = (await ws.ok(`mutation { createCompany(input: { name: "Acme" }) { company { id } } }`)).createCompany.company.id;
  ids.activity = (
    await ws.ok(`mutation($t: [ID!]!) { logActivity(input: { type: CALL, subject: "Call", targetIds: $t }) { activity { id } } }`, {
      t: [ids.admins, ids.own, ids.trashed, ids.company],
    })
  ).logActivity.activity.id;
  // trashed after the activity was logged on it
  await server.orm.em.getConnection().execute(`update contact set deleted_at = now() where id = ?`, [uuid(ids.trashed)]);
});
afterAll(async () => {
  await server?.close();
});

it('readableContact / readableContactIds: in scope and live only', async () => {
  await as(member.id, async (ctx) => {
    expect((await readableContact(ctx, uuid(ids.own)))?.firstName).toBe('Own');
    expect(await readableContact(ctx, uuid(ids.admins))).toBeNull(); // the admin's: out of the member's scope
    expect(await readableContact(ctx, uuid(ids.trashed))).toBeNull(); // trashed
    expect(await readableContactIds(ctx, [ids.admins, ids.own, ids.trashed].map(uuid))).toEqual(new Set([uuid(ids.own)]));
  });
  await as(null, async (ctx) => {
    expect(await readableContactIds(ctx, [ids.admins, ids.own, ids.trashed].map(uuid))).toEqual(new Set([uuid(ids.admins), uuid(ids.own)]));
    expect((await readableCompany(ctx, uuid(ids.company)))?.name).toBe('Acme');
  });
});

it('contactOrReject: a contact out of scope is NOT_FOUND on the field, like a missing one', async () => {
  await as(member.id, async (ctx) => {
    expect((await contactOrReject(ctx, ids.own)).id).toBe(uuid(ids.own));
    const refused = await contactOrReject(ctx, ids.admins, 'contactId', 'no such contact').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InputRejected);
    expect((refused as InputRejected).errors).toEqual([{ field: ['contactId'], message: 'no such contact', code: 'NOT_FOUND' }]);
  });
});

it('activityTargetIds: the live targets of the type the principal may read; nothing when the activity is out of scope', async () => {
  await as(null, async (ctx) => {
    expect(new Set(await activityTargetIds(ctx, uuid(ids.activity), 'Contact'))).toEqual(new Set([uuid(ids.admins), uuid(ids.own)]));
    expect(await activityTargetIds(ctx, uuid(ids.activity), 'Company')).toEqual([uuid(ids.company)]);
  });
  // the admin logged it: the SALES member may not read the activity
  await as(member.id, async (ctx) => {
    expect(await activityTargetIds(ctx, uuid(ids.activity), 'Contact')).toEqual([]);
  });
});

it('workspaceMemberIds: the members, longest-standing first', async () => {
  await as(null, async (ctx) => {
    expect(await workspaceMemberIds(ctx)).toEqual([ws.userId, member.id]);
  });
});
