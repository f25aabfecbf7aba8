import type { SqlEntityManager } from '@mikro-orm/sql';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { runMutation } from '../../src/core/shared/mutation.js';
import { createRequestContext, type RequestContext } from '../../src/graphql/context.js';
import { User } from '../../src/core/identity/user.entity.js';
import { memberPrincipal } from '../../src/permissions/principal.js';
import { isSecretField, redactChanges, REDACTED } from '../../src/core/audit/redact.js';
import { recordAudit } from '../../src/core/audit/audit-log.js';
import { MembershipRole } from '../../src/core/identity/membership.entity.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const AUDIT = `query($filter: AuditLogFilter, $first: Int, $after: String, $last: Int, $before: String) {
  auditLog(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id occurredAt action objectType objectId apiKeyId changes metadata actor { id name } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

interface Entry {
  id: string;
  occurredAt: string;
  action: string;
  objectType: string | null;
  objectId: string | null;
  apiKeyId: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
  metadata: Record<string, any> | null;
  actor: { id: string; name: string } | null;
}

async function auditPage(w: TestWorkspace, filter: Record<string, unknown> = {}, page: Record<string, unknown> = { first: 100 }) {
  const res = await w.ok(AUDIT, { filter, ...page });
  return res.auditLog as {
    totalCount: number;
    edges: { cursor: string; node: Entry }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string; startCursor: string };
  };
}

async function audit(w: TestWorkspace, filter: Record<string, unknown> = {}): Promise<Entry[]> {
  return (await auditPage(w, filter)).edges.map((e) => e.node);
}

const CONTACT_FIELDS = 'id version';

async function createContact(w: TestWorkspace, input: Record<string, unknown>) {
  const res = await w.ok(
    `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { ${CONTACT_FIELDS} } userErrors { field message } } }`,
    { input },
  );
  expect(res.createContact.userErrors).toEqual([]);
  return res.createContact.contact as { id: string; version: number };
}

async function updateContact(w: TestWorkspace, input: Record<string, unknown>) {
  return (
    await w.ok(
      `mutation($input: UpdateContactInput!) { updateContact(input: $input) { contact { ${CONTACT_FIELDS} } userErrors { field message code } } }`,
      { input },
    )
  ).updateContact;
}

async function createCompany(w: TestWorkspace, input: Record<string, unknown>) {
  const res = await w.ok(
    `mutation($input: CreateCompanyInput!) { createCompany(input: $input) { company { id version } userErrors { field message } } }`,
    { input },
  );
  expect(res.createCompany.userErrors).toEqual([]);
  return res.createCompany.company as { id: string; version: number };
}

const auditRows = async (workspaceId: string) => server.count('audit_log', workspaceId);

describe('audit log: automatic entries', () => {
  it('records create, update, delete, restore and purge of a contact with actor and field-level before/after', async () => {
    const w = await server.newWorkspace();
    const c = await createContact(w, {
      firstName: 'Grace',
      lastName: 'Hopper',
      jobTitle: 'Rear Admiral',
      emails: [{ email: 'grace@navy.test', primary: true }],
    });
    const updated = await updateContact(w, { id: c.id, jobTitle: 'Professor', version: c.version });
    expect(updated.userErrors).toEqual([]);
    await w.ok(`mutation($id: ID!) { deleteContact(id: $id) { contact { id } userErrors { field } } }`, { id: c.id });
    await w.ok(`mutation($id: ID!) { restoreContact(id: $id) { contact { id } userErrors { field } } }`, { id: c.id });
    await w.ok(`mutation($id: ID!) { deleteContact(id: $id) { contact { id } userErrors { field } } }`, { id: c.id });
    const purged = await w.ok(`mutation($id: ID!) { purgeContact(id: $id) { deletedId userErrors { field } } }`, { id: c.id });
    expect(purged.purgeContact.userErrors).toEqual([]);

    const entries = await audit(w, { objectId: c.id });
    expect(entries.map((e) => e.action)).toEqual([
      'contact.purged',
      'contact.deleted',
      'contact.restored',
      'contact.deleted',
      'contact.updated',
      'contact.created',
    ]);
    const adminGid = toGlobalId('User', w.userId);
    for (const e of entries) {
      expect(e.actor).toEqual({ id: adminGid, name: 'Ada Admin' });
      expect(e.objectType).toBe('Contact');
      expect(e.objectId).toBe(c.id);
      expect(e.apiKeyId).toBeNull();
    }
    const [purge, del, restore, , update, create] = entries;
    expect(create!.changes).toMatchObject({
      firstName: { before: null, after: 'Grace' },
      lastName: { before: null, after: 'Hopper' },
      jobTitle: { before: null, after: 'Rear Admiral' },
      emails: { before: null, after: [{ email: 'grace@navy.test', primary: true }] },
      primaryEmail: { before: null, after: 'grace@navy.test' },
    });
    // bookkeeping columns are not changes
    expect(Object.keys(create!.changes!)).not.toEqual(expect.arrayContaining(['updatedAt']));
    expect(create!.changes).not.toHaveProperty('searchText');
    expect(update!.changes).toEqual({ jobTitle: { before: 'Rear Admiral', after: 'Professor' } });
    expect(del!.changes!.deletedAt!.before).toBeNull();
    expect(typeof del!.changes!.deletedAt!.after).toBe('string');
    expect(restore!.changes!.deletedAt!.after).toBeNull();
    expect(purge!.changes).toMatchObject({ firstName: { before: 'Grace', after: null }, jobTitle: { before: 'Professor', after: null } });
    // newest first, strictly ordered in time
    const times = entries.map((e) => Date.parse(e.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('records company changes with before/after, including relation ids', async () => {
    const w = await server.newWorkspace();
    const member = await w.addMember('Olga Owner', MembershipRole.MANAGER);
    const co = await createCompany(w, {
      name: 'Acme',
      domains: ['acme.test'],
      employeeCount: 10,
      annualRevenue: { amount: 1250000000, currency: 'EUR' },
    });
    const res = await w.ok(
      `mutation($input: UpdateCompanyInput!) { updateCompany(input: $input) { company { id version } userErrors { field } } }`,
      {
        input: { id: co.id, version: co.version, name: 'Acme Corp', employeeCount: 12, ownerId: toGlobalId('User', member.id) },
      },
    );
    expect(res.updateCompany.userErrors).toEqual([]);
    await w.ok(`mutation($id: ID!) { deleteCompany(id: $id) { company { id } userErrors { field } } }`, { id: co.id });
    await w.ok(`mutation($id: ID!) { restoreCompany(id: $id) { company { id } userErrors { field } } }`, { id: co.id });
    const entries = await audit(w, { objectType: 'Company', objectId: co.id });
    expect(entries.map((e) => e.action)).toEqual(['company.restored', 'company.deleted', 'company.updated', 'company.created']);
    expect(entries[2]!.changes).toEqual({
      name: { before: 'Acme', after: 'Acme Corp' },
      employeeCount: { before: 10, after: 12 },
      owner: { before: w.userId, after: member.id },
    });
    expect(entries[3]!.changes).toMatchObject({
      name: { before: null, after: 'Acme' },
      domains: { before: null, after: ['acme.test'] },
      annualRevenueAmount: { before: null, after: 1250000000 },
    });
  });

  it('records a contact merge: the target names its sources and what moved, each source names the target', async () => {
    const w = await server.newWorkspace();
    const tag = (await w.ok(`mutation { createTag(input: { name: "VIP" }) { tag { id } } }`)).createTag.tag.id;
    const target = await createContact(w, { firstName: 'Ann', lastName: 'Lee' });
    const source = await createContact(w, {
      firstName: 'Ann',
      lastName: 'Lee',
      jobTitle: 'CTO',
      emails: [{ email: 'ann@lee.test', primary: true }],
      tagIds: [tag],
    });
    const before = await auditRows(w.id);
    const res = await w.ok(
      `mutation($input: MergeInput!) { mergeContacts(input: $input) { contact { id } mergedIds userErrors { field message } } }`,
      {
        input: { targetId: target.id, sourceIds: [source.id] },
      },
    );
    expect(res.mergeContacts.userErrors).toEqual([]);
    expect(await auditRows(w.id)).toBe(before + 2);
    const raw = (gid: string) => Buffer.from(gid, 'base64url').toString().split(':')[1];
    const [merged] = await audit(w, { objectId: target.id, action: 'contact.merged' });
    expect(merged!.actor!.name).toBe('Ada Admin');
    expect(merged!.metadata).toEqual({ role: 'target', sourceIds: [raw(source.id)], moved: { timelineLinks: 0, tagLinks: 1 } });
    expect(merged!.changes).toMatchObject({
      jobTitle: { before: null, after: 'CTO' },
      primaryEmail: { before: null, after: 'ann@lee.test' },
    });
    const [retired] = await audit(w, { objectId: source.id });
    expect(retired!.action).toBe('contact.merged');
    expect(retired!.metadata).toEqual({ role: 'source', targetId: raw(target.id) });
    expect(retired!.changes!.mergedIntoId).toEqual({ before: null, after: raw(target.id) });
  });

  it('records a company merge with the contacts it re-pointed', async () => {
    const w = await server.newWorkspace();
    const target = await createCompany(w, { name: 'Globex' });
    const source = await createCompany(w, { name: 'Globex Inc', industry: 'Energy' });
    const person = await createContact(w, { firstName: 'Hank', companyId: source.id });
    const res = await w.ok(
      `mutation($input: MergeInput!) { mergeCompanies(input: $input) { company { id } userErrors { field message } } }`,
      {
        input: { targetId: target.id, sourceIds: [source.id] },
      },
    );
    expect(res.mergeCompanies.userErrors).toEqual([]);
    const [merged] = await audit(w, { objectId: target.id, action: 'company.merged' });
    const raw = (gid: string) => Buffer.from(gid, 'base64url').toString().split(':')[1];
    expect(merged!.metadata).toMatchObject({ role: 'target', sourceIds: [raw(source.id)], moved: { contacts: [raw(person.id)] } });
    expect(merged!.changes).toMatchObject({ industry: { before: null, after: 'Energy' } });
  });

  it('writes no entry for a rejected mutation', async () => {
    const w = await server.newWorkspace();
    const c = await createContact(w, { firstName: 'Stale' });
    const before = await auditRows(w.id);
    const stale = await updateContact(w, { id: c.id, jobTitle: 'x', version: c.version + 5 });
    expect(stale.userErrors[0].code).toBe('CONFLICT');
    const invalid = await w.ok(`mutation { createContact(input: { jobTitle: "nobody" }) { contact { id } userErrors { field } } }`);
    expect(invalid.createContact.userErrors.length).toBeGreaterThan(0);
    const missing = await w.ok(`mutation($id: ID!) { purgeContact(id: $id) { deletedId userErrors { field } } }`, { id: c.id });
    expect(missing.purgeContact.userErrors.length).toBeGreaterThan(0);
    expect(await auditRows(w.id)).toBe(before);
  });

  it('records an API key without its secret hash', async () => {
    const w = await server.newWorkspace();
    const res = await w.ok(
      `mutation { createApiKey(input: { name: "zapier", role: "READ_ONLY" }) { apiKey { id } secret userErrors { field message } } }`,
    );
    expect(res.createApiKey.userErrors).toEqual([]);
    const entries = await audit(w, { action: 'apiKey.created' });
    expect(entries).toHaveLength(1);
    const text = JSON.stringify(entries[0]);
    expect(entries[0]!.changes).toMatchObject({ name: { after: 'zapier' }, role: { after: 'READ_ONLY' } });
    expect(entries[0]!.changes).not.toHaveProperty('secretHash');
    expect(entries[0]!.metadata).toEqual({ redactedFields: ['secretHash'] });
    const stored = await server.orm.em
      .getConnection()
      .execute<{ t: string }[]>(`select changes::text || coalesce(metadata::text, '') as t from audit_log where workspace_id = ?`, [w.id]);
    const secret = res.createApiKey.secret as string;
    for (const row of stored) {
      expect(row.t).not.toContain(secret);
      expect(row.t).not.toMatch(/[0-9a-f]{64}/);
    }
    expect(text).not.toContain(secret);
  });
});

describe('audit log: bulk import', () => {
  it('writes one summary entry per import job, not one per row', async () => {
    const w = await server.newWorkspace();
    const csv = 'firstName,lastName,email\nAda,One,ada1@x.test\nBob,Two,bob2@x.test\nCy,Three,not-an-email\n';
    const res = await w.ok(`mutation($input: ImportCsvInput!) { importCsv(input: $input) { job { id } userErrors { field message } } }`, {
      input: { objectType: 'CONTACTS', csv, fileName: 'people.csv' },
    });
    expect(res.importCsv.userErrors).toEqual([]);
    const entries = await audit(w);
    expect(entries.map((e) => e.action)).toEqual(['import.completed']);
    expect(entries[0]!.objectType).toBe('ImportJob');
    expect(entries[0]!.actor!.name).toBe('Ada Admin');
    expect(entries[0]!.metadata).toMatchObject({
      objectType: 'Contact',
      fileName: 'people.csv',
      processedRows: 3,
      createdCount: 2,
      failedCount: 1,
    });
  });
});

describe('audit log: secrets', () => {
  it('drops secret fields by name and masks secret keys inside JSON values', () => {
    for (const name of [
      'passwordHash',
      'tokenHash',
      'secretHash',
      'totpSecret',
      'recoveryCodes',
      'recoveryCodeHashes',
      'refreshToken',
      'password_hash',
      'webhookSecret',
    ])
      expect([name, isSecretField(name)]).toEqual([name, true]);
    for (const name of ['name', 'email', 'jobTitle', 'phones', 'role', 'hashtag'])
      expect([name, isSecretField(name)]).toEqual([name, false]);
    const { changes, redactedFields } = redactChanges({
      passwordHash: { before: '$argon2id$old', after: '$argon2id$new' },
      name: { before: 'a', after: 'b' },
      settings: { before: null, after: { clientSecret: 's3cr3t', url: 'https://x.test' } },
    });
    expect(changes).toEqual({
      name: { before: 'a', after: 'b' },
      settings: { before: null, after: { clientSecret: REDACTED, url: 'https://x.test' } },
    });
    expect(redactedFields).toEqual(['passwordHash']);
  });

  it('never stores a password hash changed through an entity inside runMutation, nor through recordAudit', async () => {
    const w = await server.newWorkspace();
    const em = server.orm.em.fork() as SqlEntityManager;
    const principal = (await memberPrincipal(em, w.id, w.userId))!;
    const ctx = createRequestContext(server.orm, {} as never, undefined as never, { em } as never, principal, '198.51.100.7');
    const result = await runMutation(ctx as RequestContext, async (tx) => {
      const user = await tx.em.findOneOrFail(User, { id: w.userId }, { populate: ['passwordHash'] as never });
      user.passwordHash = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$hashhashhash';
      user.name = 'Ada Lovelace';
      await tx.em.flush();
      return { ok: true };
    });
    expect(result.userErrors).toEqual([]);
    await recordAudit(em, {
      workspaceId: w.id,
      actorUserId: w.userId,
      actorApiKeyId: null,
      action: 'user.passwordChanged',
      objectType: 'User',
      objectId: w.userId,
      changes: { passwordHash: { before: 'x', after: '$argon2id$leak' } },
    });
    const rows = await server.orm.em
      .getConnection()
      .execute<{ action: string; changes: unknown; metadata: unknown; ip: string | null; actor_user_id: string }[]>(
        `select action, changes, metadata, ip, actor_user_id from audit_log where workspace_id = ? and object_type = 'User' order by occurred_at`,
        [w.id],
      );
    const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    expect(rows.map((r) => r.action)).toEqual(['user.updated', 'user.passwordChanged']);
    expect(parse(rows[0]!.changes)).toEqual({ name: { before: 'Ada Admin', after: 'Ada Lovelace' } });
    expect(parse(rows[0]!.metadata)).toEqual({ redactedFields: ['passwordHash'] });
    expect(rows[0]!.ip).toBe('198.51.100.7');
    expect(rows[0]!.actor_user_id).toBe(w.userId);
    expect(parse(rows[1]!.changes)).toEqual({});
    expect(JSON.stringify(rows)).not.toContain('argon2id');
  });
});

describe('audit log: append-only', () => {
  it('refuses UPDATE, DELETE and TRUNCATE of audit_log', async () => {
    const w = await server.newWorkspace();
    await createContact(w, { firstName: 'Immutable' });
    const conn = server.orm.em.getConnection();
    const before = await auditRows(w.id);
    expect(before).toBeGreaterThan(0);
    await expect(conn.execute(`update audit_log set action = 'contact.tampered' where workspace_id = ?`, [w.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(conn.execute(`delete from audit_log where workspace_id = ?`, [w.id])).rejects.toThrow(/append-only/);
    await expect(conn.execute(`truncate audit_log`)).rejects.toThrow(/append-only/);
    expect(await auditRows(w.id)).toBe(before);
    const [row] = await conn.execute<{ n: number }[]>(
      `select count(*)::int as n from audit_log where workspace_id = ? and action = 'contact.created'`,
      [w.id],
    );
    expect(Number(row!.n)).toBe(1);
  });
});

describe('auditLog query', () => {
  let w: TestWorkspace;
  let sales: { id: string; headers: Record<string, string> };
  let ids: { id: string; version: number }[];
  beforeAll(async () => {
    w = await server.newWorkspace();
    sales = await w.addMember('Sam Sales', MembershipRole.SALES);
    ids = [];
    for (const name of ['One', 'Two', 'Three']) ids.push(await createContact(w, { firstName: name }));
    const res = await server.gql(
      `mutation { createContact(input: { firstName: "Salesy" }) { contact { id } userErrors { field } } }`,
      {},
      sales.headers,
    );
    expect(res.errors).toBeUndefined();
    await createCompany(w, { name: 'Initech' });
  });

  it('filters by object type, object (global or raw id), actor and action', async () => {
    expect((await audit(w, { objectType: 'Contact' })).length).toBe(4);
    expect((await audit(w, { objectType: 'Company' })).map((e) => e.action)).toEqual(['company.created']);
    const raw = Buffer.from(ids[1]!.id, 'base64url').toString().split(':')[1];
    for (const objectId of [ids[1]!.id, raw]) {
      const entries = await audit(w, { objectId });
      expect(entries.map((e) => [e.action, e.objectId])).toEqual([['contact.created', ids[1]!.id]]);
    }
    const bySales = await audit(w, { actor: toGlobalId('User', sales.id) });
    expect(bySales.map((e) => [e.action, e.changes!.firstName!.after, e.actor!.name])).toEqual([
      ['contact.created', 'Salesy', 'Sam Sales'],
    ]);
    expect((await audit(w, { action: 'company.created' })).length).toBe(1);
    expect((await audit(w, { action: 'contact.' })).length).toBe(4);
    expect((await audit(w, { action: 'contact.deleted' })).length).toBe(0);
  });

  it('filters by time range and pages newest first with cursors both ways', async () => {
    const all = await audit(w);
    expect(all).toHaveLength(5);
    const oldestFirst = [...all].reverse();
    const from = oldestFirst[1]!.occurredAt;
    const to = oldestFirst[3]!.occurredAt;
    const inRange = await audit(w, { from, to });
    expect(inRange.map((e) => e.id)).toEqual([oldestFirst[2]!.id, oldestFirst[1]!.id]);
    const bad = await w.gql(AUDIT, { filter: { from: to, to: from } });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const p1 = await auditPage(w, {}, { first: 2 });
    expect(p1.totalCount).toBe(5);
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const p2 = await auditPage(w, {}, { first: 2, after: p1.pageInfo.endCursor });
    const p3 = await auditPage(w, {}, { first: 2, after: p2.pageInfo.endCursor });
    expect([...p1.edges, ...p2.edges, ...p3.edges].map((e) => e.node.id)).toEqual(all.map((e) => e.id));
    expect(p3.pageInfo.hasNextPage).toBe(false);
    const back = await auditPage(w, {}, { last: 2, before: p3.pageInfo.startCursor });
    expect(back.edges.map((e) => e.node.id)).toEqual(all.slice(2, 4).map((e) => e.id));
  });

  it('needs audit:read and shows only the caller workspace', async () => {
    const res = await server.gql(AUDIT, { first: 5 }, sales.headers);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const other = await server.newWorkspace();
    expect(await audit(other, { objectId: ids[0]!.id })).toEqual([]);
    expect((await auditPage(other)).totalCount).toBe(0);
  });
});
