import { toGlobalId } from '../../src/sdk/index.js';
import {
  describePluginContract,
  runPluginContract,
  startPluginServer,
  type PluginTestServer,
  type PluginTestWorkspace,
} from '../../src/sdk/testing.js';
import type { AbstractSqlConnection } from '@mikro-orm/sql';
import loyalty from '../../examples/loyalty/plugin.js';
import { Migration20261201000000LoyaltyAccounts } from '../../examples/loyalty/migrations/Migration20261201000000LoyaltyAccounts.js';

/**
 * The example third-party plugin (examples/loyalty): the SDK's contract kit, then end to end — activity.logged
 * delivered from the outbox awards points once per event, awardLoyaltyPoints needs loyalty:award. PGlite in memory,
 * or PostgreSQL with TEST_DATABASE_URL (the kit creates a database of its own beside it).
 */

const CREATE_CONTACT = `mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } userErrors { message } } }`;
const LOG = `mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } userErrors { field message } } }`;
const POINTS = `query($id: ID!) { contact(id: $id) { loyaltyPoints } }`;
const AWARD = `mutation($i: AwardLoyaltyPointsInput!) { awardLoyaltyPoints(input: $i) { balance { contactId points } userErrors { field message code } } }`;

/** The uuid of a global id. */
const fromGlobalId = (id: string) => Buffer.from(id, 'base64url').toString('utf8').split(':').pop()!;

async function newContact(ws: { ok: PluginTestWorkspace['ok'] }, firstName = 'Lola'): Promise<string> {
  const data = await ws.ok(CREATE_CONTACT, { i: { firstName, lastName: 'Loyal' } });
  return data.createContact.contact.id;
}

async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describePluginContract(loyalty, {
  async use({ workspace }) {
    const contactId = await newContact(workspace);
    const award = await workspace.ok(AWARD, { i: { contactId, points: 5 } });
    expect(award.awardLoyaltyPoints).toEqual({ balance: { contactId, points: 5 }, userErrors: [] });
    expect(await workspace.ok(POINTS, { id: contactId })).toEqual({ contact: { loyaltyPoints: 5 } });
    // after disable → re-enable: the same balance
    return async ({ workspace: again }) => {
      expect(await again.ok(POINTS, { id: contactId })).toEqual({ contact: { loyaltyPoints: 5 } });
    };
  },
});

describe('acme-loyalty end to end', () => {
  let server: PluginTestServer;
  let ws: PluginTestWorkspace;

  beforeAll(async () => {
    server = await startPluginServer([loyalty]);
    ws = await server.newWorkspace();
    await ws.enable('acme-loyalty');
    await server.startOutboxWorker(); // delivers activity.logged to the plugin's subscriber
  });
  afterAll(async () => {
    await server?.close();
  });

  const owner = () => server.orm.em.getConnection() as AbstractSqlConnection; // the kit types `orm` as any
  const deliveries = (workspaceId: string) =>
    owner().execute<{ id: string; event_id: string; status: string; attempts: number }[]>(
      `select id, event_id, status, attempts from outbox_delivery where workspace_id = ? and subscriber = 'acme-loyalty/award-activity-points' order by created_at, id`,
      [workspaceId],
    );

  it('a logged activity earns each contact target a point, once per event even when redelivered', async () => {
    const a = await newContact(ws, 'Ann');
    const b = await newContact(ws, 'Bob');
    expect(await ws.ok(POINTS, { id: a })).toEqual({ contact: { loyaltyPoints: 0 } });

    const logged = await ws.ok(LOG, { i: { type: 'CALL', subject: 'Intro call', targetIds: [a, b] } });
    expect(logged.logActivity.userErrors).toEqual([]);
    await waitFor(async () => (await ws.ok(POINTS, { id: a })).contact.loyaltyPoints === 1);
    expect(await ws.ok(POINTS, { id: b })).toEqual({ contact: { loyaltyPoints: 1 } });

    await ws.ok(LOG, { i: { type: 'NOTE', subject: 'Follow-up', targetIds: [a] } });
    await waitFor(async () => (await ws.ok(POINTS, { id: a })).contact.loyaltyPoints === 2);
    expect(await ws.ok(POINTS, { id: b })).toEqual({ contact: { loyaltyPoints: 1 } });

    // at-least-once: deliver the first event again; its id was recorded, nothing more is awarded
    const [first] = await deliveries(ws.id);
    expect(first).toMatchObject({ status: 'delivered', attempts: 1 });
    await owner().execute(`update outbox_delivery set status = 'pending', next_attempt_at = now(), delivered_at = null where id = ?`, [
      first!.id,
    ]);
    await waitFor(async () => (await deliveries(ws.id)).find((d) => d.id === first!.id && d.status === 'delivered' && d.attempts === 2));
    expect(await ws.ok(POINTS, { id: a })).toEqual({ contact: { loyaltyPoints: 2 } });
    expect(await ws.ok(POINTS, { id: b })).toEqual({ contact: { loyaltyPoints: 1 } });
  });

  it('the subscriber gets the workspace’s settings of the plugin: pointsPerActivity 3 awards 3 there, other workspaces keep the default', async () => {
    const tuned = await server.newWorkspace();
    await tuned.enable('acme-loyalty');
    const set = await tuned.ok(
      `mutation { updateModuleSettings(input: { id: "acme-loyalty", settings: { pointsPerActivity: 3 } }) { module { settings } userErrors { message } } }`,
    );
    expect(set.updateModuleSettings).toEqual({ module: { settings: { pointsPerActivity: 3 } }, userErrors: [] });
    const tunedContact = await newContact(tuned, 'Tia');
    const defaultContact = await newContact(ws, 'Dee');
    await tuned.ok(LOG, { i: { type: 'CALL', subject: 'Call', targetIds: [tunedContact] } });
    await ws.ok(LOG, { i: { type: 'CALL', subject: 'Call', targetIds: [defaultContact] } });
    await waitFor(async () => (await tuned.ok(POINTS, { id: tunedContact })).contact.loyaltyPoints > 0);
    await waitFor(async () => (await ws.ok(POINTS, { id: defaultContact })).contact.loyaltyPoints > 0);
    expect(await tuned.ok(POINTS, { id: tunedContact })).toEqual({ contact: { loyaltyPoints: 3 } });
    expect(await ws.ok(POINTS, { id: defaultContact })).toEqual({ contact: { loyaltyPoints: 1 } });
  });

  it('Contact.loyaltyPoints of a page of contacts is read in one statement (batched), with each contact’s balance', async () => {
    const fresh = await server.newWorkspace();
    await fresh.enable('acme-loyalty');
    const ids = [];
    for (const name of ['Pia', 'Quinn', 'Ray', 'Sol']) ids.push(await newContact(fresh, name));
    await fresh.ok(AWARD, { i: { contactId: ids[1], points: 4 } });
    await fresh.ok(AWARD, { i: { contactId: ids[3], points: 9 } });
    const statements: string[] = [];
    server.appOrm.config.set('onQuery', (text: string) => {
      if (/loyalty_account/.test(text)) statements.push(text);
      return text;
    });
    try {
      const page = await fresh.ok(
        `{ contacts(first: 10, orderBy: [{ field: FIRST_NAME, direction: ASC }]) { edges { node { firstName loyaltyPoints } } } }`,
      );
      expect(page.contacts.edges.map((e: { node: unknown }) => e.node)).toEqual([
        { firstName: 'Pia', loyaltyPoints: 0 },
        { firstName: 'Quinn', loyaltyPoints: 4 },
        { firstName: 'Ray', loyaltyPoints: 0 },
        { firstName: 'Sol', loyaltyPoints: 9 },
      ]);
    } finally {
      server.appOrm.config.set('onQuery', (text: string) => text);
    }
    expect(statements).toHaveLength(1);
  });

  it('awards show on the contact’s timeline; disabling the plugin hides its entries there, re-enabling shows them again', async () => {
    const fresh = await server.newWorkspace();
    await fresh.enable('acme-loyalty');
    const contactId = await newContact(fresh, 'Tim');
    await fresh.ok(AWARD, { i: { contactId, points: 6 } });
    await fresh.ok(LOG, { i: { type: 'NOTE', subject: 'A note', targetIds: [contactId] } });
    const TIMELINE = `query($id: ID!) { contact(id: $id) { timeline(first: 10) { edges { node { __typename ... on TimelineEvent { entryType title } ... on Activity { subject } } } } } }`;
    const entries = async () => (await fresh.ok(TIMELINE, { id: contactId })).contact.timeline.edges.map((e: { node: unknown }) => e.node);
    expect(await entries()).toEqual([
      { __typename: 'Activity', subject: 'A note' },
      { __typename: 'TimelineEvent', entryType: 'loyalty.pointsAwarded', title: 'Awarded 6 loyalty points' },
    ]);
    await fresh.disable('acme-loyalty');
    expect(await entries()).toEqual([{ __typename: 'Activity', subject: 'A note' }]);
    await fresh.enable('acme-loyalty');
    expect((await entries()).map((e: { __typename: string }) => e.__typename)).toEqual(['Activity', 'TimelineEvent']);
  });

  it('does not award in a workspace where the plugin is disabled (its delivery is skipped)', async () => {
    const other = await server.newWorkspace();
    const contactId = await newContact(other);
    await other.ok(LOG, { i: { type: 'CALL', subject: 'Call', targetIds: [contactId] } });
    await waitFor(async () => (await deliveries(other.id)).find((d) => d.status === 'skipped'));
    const rows = await owner().execute<{ n: number }[]>(`select count(*)::int as n from loyalty_account where workspace_id = ?`, [
      other.id,
    ]);
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('awardLoyaltyPoints needs loyalty:award: a SALES member is FORBIDDEN, an admin holds it; bad input comes back as userErrors', async () => {
    const sales = await ws.addMember('Sam Sales', 'SALES');
    const contactId = await newContact(sales, 'Cleo'); // the member's own contact: readable with the SALES role's scope
    const refused = await sales.gql(AWARD, { i: { contactId, points: 3 } });
    expect(refused.data?.awardLoyaltyPoints ?? null).toBeNull();
    expect(refused.errors!.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    // reading the field needs only contact:read
    expect(await sales.ok(POINTS, { id: contactId })).toEqual({ contact: { loyaltyPoints: 0 } });

    expect((await ws.ok(AWARD, { i: { contactId, points: 3 } })).awardLoyaltyPoints).toEqual({
      balance: { contactId, points: 3 },
      userErrors: [],
    });
    expect((await ws.ok(AWARD, { i: { contactId, points: -10 } })).awardLoyaltyPoints.balance).toEqual({ contactId, points: 0 });

    const zero = await ws.ok(AWARD, { i: { contactId, points: 0 } });
    expect(zero.awardLoyaltyPoints).toEqual({
      balance: null,
      userErrors: [{ field: ['points'], code: 'BAD_USER_INPUT', message: expect.stringMatching(/non-zero/) }],
    });
    const otherWorkspace = await server.newWorkspace();
    const foreign = await newContact(otherWorkspace, 'Fay');
    const missing = await ws.ok(AWARD, { i: { contactId: foreign, points: 1 } });
    expect(missing.awardLoyaltyPoints).toEqual({
      balance: null,
      userErrors: [{ field: ['contactId'], code: 'NOT_FOUND', message: 'no such contact' }],
    });
  });
  it('awardLoyaltyPoints applies the caller’s record scope: a contact they may not read is NOT_FOUND and nothing is written', async () => {
    // a role that may award points but reads only its own contacts
    const role = await ws.ok(
      `mutation { createRole(input: { name: "Awarder", grants: [{ permission: "loyalty:award" }, { permission: "contact:read", scope: OWN }, { permission: "contact:create" }] }) { role { id } userErrors { message } } }`,
    );
    expect(role.createRole.userErrors).toEqual([]);
    const awarder = await ws.addMember('Ava Awarder', 'SALES');
    const changed = await ws.ok(
      `mutation($u: ID!, $r: String!) { updateMemberRole(input: { userId: $u, role: $r }) { userErrors { message } } }`,
      { u: toGlobalId('User', awarder.id), r: role.createRole.role.id },
    );
    expect(changed.updateMemberRole.userErrors).toEqual([]);
    const othersContact = await newContact(ws, 'Olga'); // owned by the admin: out of the awarder's scope
    const refused = await awarder.ok(AWARD, { i: { contactId: othersContact, points: 4 } });
    expect(refused.awardLoyaltyPoints).toEqual({
      balance: null,
      userErrors: [{ field: ['contactId'], code: 'NOT_FOUND', message: 'no such contact' }],
    });
    const rows = await owner().execute<{ n: number }[]>(
      `select count(*)::int as n from loyalty_account where workspace_id = ? and contact_id = ?`,
      [ws.id, fromGlobalId(othersContact)],
    );
    expect(Number(rows[0]!.n)).toBe(0);
    expect(await ws.ok(POINTS, { id: othersContact })).toEqual({ contact: { loyaltyPoints: 0 } });
    // their own contact is in scope: the same call awards
    const own = await newContact(awarder, 'Mine');
    expect((await awarder.ok(AWARD, { i: { contactId: own, points: 4 } })).awardLoyaltyPoints).toEqual({
      balance: { contactId: own, points: 4 },
      userErrors: [],
    });
  });
});

describe('the contract kit', () => {
  // row-level security exists on PostgreSQL only (PGlite serves a single connection as the owner)
  (process.env.TEST_DATABASE_URL ? it : it.skip)(
    'fails a plugin whose migration leaves a workspace_id table without row-level security (PostgreSQL)',
    async () => {
      class WithoutRls extends Migration20261201000000LoyaltyAccounts {
        override addSql(statement: string) {
          if (!statement.includes('crm_rls')) super.addSql(statement);
        }
      }
      const unsafe = { ...loyalty, migrations: [{ name: 'Migration20261201000000LoyaltyAccounts', class: WithoutRls }] };
      await expect(runPluginContract(unsafe)).rejects.toThrow(
        "table loyalty_account has a workspace_id column but no row-level security: add this.addSql(tenantRlsSql('loyalty_account')) to the migration",
      );
    },
  );
});
