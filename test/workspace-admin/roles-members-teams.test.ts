import { toGlobalId } from '../../src/graphql/global-id.js';
import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const ROLE_FIELDS = 'id key name description builtIn grants { permission scope } fieldAllowlist memberCount';
const ERRORS = 'userErrors { field message code }';

const ROLES = `query { roles { ${ROLE_FIELDS} } }`;
const PERMISSIONS = 'query { permissions { name description scoped } }';
const CREATE_ROLE = `mutation($input: CreateRoleInput!) { createRole(input: $input) { role { ${ROLE_FIELDS} } ${ERRORS} } }`;
const UPDATE_ROLE = `mutation($input: UpdateRoleInput!) { updateRole(input: $input) { role { ${ROLE_FIELDS} } ${ERRORS} } }`;
const DELETE_ROLE = `mutation($input: DeleteRoleInput!) { deleteRole(input: $input) { deletedId ${ERRORS} } }`;
const MEMBERS =
  'query($first: Int, $after: String) { members(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { user { id name email } role { id key name } teams { id name } joinedAt } } }';
const UPDATE_MEMBER_ROLE = `mutation($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { member { user { id } role { key name } } ${ERRORS} } }`;
const REMOVE_MEMBER = `mutation($input: RemoveMemberInput!) { removeMember(input: $input) { removedUserId ${ERRORS} } }`;
const TEAMS = 'query { teams { id name members { id name } } }';
const CREATE_TEAM = `mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id name members { id name } } ${ERRORS} } }`;
const RENAME_TEAM = `mutation($input: RenameTeamInput!) { renameTeam(input: $input) { team { id name } ${ERRORS} } }`;
const DELETE_TEAM = `mutation($input: DeleteTeamInput!) { deleteTeam(input: $input) { deletedId ${ERRORS} } }`;
const ADD_TEAM_MEMBER = `mutation($input: TeamMemberInput!) { addTeamMember(input: $input) { team { id members { id name } } ${ERRORS} } }`;
const REMOVE_TEAM_MEMBER = `mutation($input: TeamMemberInput!) { removeTeamMember(input: $input) { team { id members { id name } } ${ERRORS} } }`;

const userGid = (id: string) => toGlobalId('User', id);

/** Runs an operation as another member of the workspace (with their signed-in session's headers). */
async function as<T = any>(headers: Record<string, string>, query: string, variables?: unknown): Promise<T> {
  const res = await server.gql(query, variables, headers);
  if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors, null, 2)}`);
  return res.data as T;
}

async function roleOf(ws: TestWorkspace, userId: string): Promise<string> {
  const rows = await server.orm.em
    .getConnection()
    .execute<{ role: string }[]>('select role from membership where workspace_id = ? and user_id = ?', [ws.id, userId]);
  return rows[0]!.role;
}

describe('roles', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await server.newWorkspace();
  });

  it('lists the built-in roles and the permission registry', async () => {
    const { roles } = await ws.ok(ROLES);
    expect(roles.map((r: any) => r.key)).toEqual(['OWNER', 'ADMIN', 'MANAGER', 'SALES', 'SUPPORT', 'MARKETING', 'READ_ONLY']);
    const admin = roles.find((r: any) => r.key === 'ADMIN');
    expect(admin).toMatchObject({ id: 'ADMIN', name: 'Admin', builtIn: true, memberCount: 1, fieldAllowlist: null });
    const sales = roles.find((r: any) => r.key === 'SALES');
    expect(sales.grants).toContainEqual({ permission: 'contact:read', scope: 'TEAM' });
    expect(sales.grants).toContainEqual({ permission: 'contact:update', scope: 'OWN' });
    const support = roles.find((r: any) => r.key === 'SUPPORT');
    expect(support.fieldAllowlist.Company).not.toContain('annualRevenue');

    const { permissions } = await ws.ok(PERMISSIONS);
    expect(permissions).toContainEqual({ name: 'contact:read', description: 'See contacts', scoped: true });
    expect(permissions).toContainEqual(expect.objectContaining({ name: 'role:manage', scoped: false }));
  });

  it('creates, updates and deletes a custom role', async () => {
    const created = await ws.ok(CREATE_ROLE, {
      input: {
        name: '  Account Manager ',
        description: 'Own accounts only',
        grants: [{ permission: 'contact:read', scope: 'TEAM' }, { permission: 'contact:update', scope: 'OWN' }, { permission: 'tag:read' }],
        fieldAllowlist: { Company: ['address', 'phones'] },
      },
    });
    expect(created.createRole.userErrors).toEqual([]);
    const role = created.createRole.role;
    expect(role).toMatchObject({
      key: role.id,
      name: 'Account Manager',
      description: 'Own accounts only',
      builtIn: false,
      memberCount: 0,
      fieldAllowlist: { Company: ['address', 'phones'] },
      grants: [
        { permission: 'contact:read', scope: 'TEAM' },
        { permission: 'contact:update', scope: 'OWN' },
        { permission: 'tag:read', scope: 'ALL' },
      ],
    });
    expect((await ws.ok(ROLES)).roles.at(-1)).toMatchObject({ id: role.id, name: 'Account Manager' });

    const updated = await ws.ok(UPDATE_ROLE, {
      input: { id: role.id, name: 'Key Account Manager', grants: [{ permission: 'company:read', scope: 'OWN' }], fieldAllowlist: null },
    });
    expect(updated.updateRole.userErrors).toEqual([]);
    expect(updated.updateRole.role).toMatchObject({
      name: 'Key Account Manager',
      description: 'Own accounts only',
      grants: [{ permission: 'company:read', scope: 'OWN' }],
      fieldAllowlist: null,
    });

    // a member holding it gets its permissions; the role cannot be deleted while held
    const member = await ws.addMember('Kim Key');
    expect(
      (await ws.ok(UPDATE_MEMBER_ROLE, { input: { userId: userGid(member.id), role: role.id } })).updateMemberRole.member.role,
    ).toEqual({ key: role.id, name: 'Key Account Manager' });
    expect((await ws.ok(ROLES)).roles.find((r: any) => r.id === role.id).memberCount).toBe(1);
    const before = await server.count('custom_role', ws.id);
    const held = await ws.ok(DELETE_ROLE, { input: { id: role.id } });
    expect(held.deleteRole).toEqual({
      deletedId: null,
      userErrors: [{ field: ['id'], message: expect.stringMatching(/still held by 1 member/), code: 'CONFLICT' }],
    });
    expect(await server.count('custom_role', ws.id)).toBe(before);

    expect((await ws.ok(UPDATE_MEMBER_ROLE, { input: { userId: userGid(member.id), role: 'SALES' } })).updateMemberRole.userErrors).toEqual(
      [],
    );
    const deleted = await ws.ok(DELETE_ROLE, { input: { id: role.id } });
    expect(deleted.deleteRole).toEqual({ deletedId: role.id, userErrors: [] });
    expect(await server.count('custom_role', ws.id)).toBe(before - 1);
  });

  it('rejects invalid roles with every problem named, writing nothing', async () => {
    await ws.ok(CREATE_ROLE, { input: { name: 'Taken', grants: [] } });
    const before = await server.count('custom_role', ws.id);
    const res = await ws.ok(CREATE_ROLE, {
      input: {
        name: 'Bad',
        grants: [
          { permission: 'contact:fly', scope: 'ALL' },
          { permission: 'role:manage', scope: 'TEAM' },
          { permission: 'contact:read', scope: 'OWN' },
          { permission: 'contact:read', scope: 'ALL' },
        ],
        fieldAllowlist: { Company: ['address', 'name'], Deal: ['amount'] },
      },
    });
    expect(res.createRole.role).toBeNull();
    expect(res.createRole.userErrors).toEqual([
      { field: ['grants', '0', 'permission'], message: 'unknown permission "contact:fly"', code: 'BAD_USER_INPUT' },
      { field: ['grants', '1', 'scope'], message: expect.stringMatching(/has no scopes/), code: 'BAD_USER_INPUT' },
      { field: ['grants', '3', 'permission'], message: '"contact:read" is granted twice', code: 'BAD_USER_INPUT' },
      {
        field: ['fieldAllowlist', 'Company', '1'],
        message: expect.stringMatching(/Company.name is not a protected field/),
        code: 'BAD_USER_INPUT',
      },
      { field: ['fieldAllowlist', 'Deal'], message: expect.stringMatching(/"Deal" has no protected fields/), code: 'BAD_USER_INPUT' },
    ]);

    const cases: [Record<string, unknown>, string[], string][] = [
      [{ name: 'taken', grants: [] }, ['name'], 'CONFLICT'],
      [{ name: 'Read-only', grants: [] }, ['name'], 'CONFLICT'],
      [{ name: 'OWNER', grants: [] }, ['name'], 'CONFLICT'],
      [{ name: '   ', grants: [] }, ['name'], 'BAD_USER_INPUT'],
      [{ name: 'x'.repeat(101), grants: [] }, ['name'], 'BAD_USER_INPUT'],
      [{ name: 'List', grants: [], fieldAllowlist: ['Company'] }, ['fieldAllowlist'], 'BAD_USER_INPUT'],
      [{ name: 'Str', grants: [], fieldAllowlist: { Contact: 'phones' } }, ['fieldAllowlist', 'Contact'], 'BAD_USER_INPUT'],
    ];
    for (const [input, field, code] of cases) {
      const r = await ws.ok(CREATE_ROLE, { input });
      expect(r.createRole.role).toBeNull();
      expect(r.createRole.userErrors[0]).toMatchObject({ field, code });
    }
    expect(await server.count('custom_role', ws.id)).toBe(before);
  });

  it('refuses to change or delete built-in roles, and rejects bad updates unchanged', async () => {
    for (const [mutation, key] of [
      [UPDATE_ROLE, 'updateRole'],
      [DELETE_ROLE, 'deleteRole'],
    ] as const) {
      const builtIn = await ws.ok(mutation, { input: { id: 'SALES', ...(key === 'updateRole' ? { name: 'Sellers' } : {}) } });
      expect(builtIn[key].userErrors).toEqual([{ field: ['id'], message: expect.stringMatching(/built-in/), code: 'FORBIDDEN' }]);
      const unknown = await ws.ok(mutation, { input: { id: '00000000-0000-4000-8000-000000000000' } });
      expect(unknown[key].userErrors).toEqual([{ field: ['id'], message: 'role not found', code: 'NOT_FOUND' }]);
    }
    const { createRole } = await ws.ok(CREATE_ROLE, { input: { name: 'Stable', grants: [{ permission: 'tag:read' }] } });
    const bad = await ws.ok(UPDATE_ROLE, { input: { id: createRole.role.id, name: 'Changed', grants: [{ permission: 'nope:nope' }] } });
    expect(bad.updateRole.userErrors).toEqual([
      { field: ['grants', '0', 'permission'], message: 'unknown permission "nope:nope"', code: 'BAD_USER_INPUT' },
    ]);
    const clash = await ws.ok(UPDATE_ROLE, { input: { id: createRole.role.id, name: 'Taken' } });
    expect(clash.updateRole.userErrors[0]).toMatchObject({ field: ['name'], code: 'CONFLICT' });
    const after = (await ws.ok(ROLES)).roles.find((r: any) => r.id === createRole.role.id);
    expect(after).toMatchObject({ name: 'Stable', grants: [{ permission: 'tag:read', scope: 'ALL' }] });
  });

  it('keeps roles of other workspaces out of reach', async () => {
    const other = await server.newWorkspace();
    const { createRole } = await other.ok(CREATE_ROLE, { input: { name: 'Theirs', grants: [] } });
    expect((await ws.ok(ROLES)).roles.map((r: any) => r.id)).not.toContain(createRole.role.id);
    const member = await ws.addMember('Nina Nosy');
    const assign = await ws.ok(UPDATE_MEMBER_ROLE, { input: { userId: userGid(member.id), role: createRole.role.id } });
    expect(assign.updateMemberRole.userErrors[0]).toMatchObject({ field: ['role'], code: 'NOT_FOUND' });
    expect((await ws.ok(UPDATE_ROLE, { input: { id: createRole.role.id, name: 'Mine' } })).updateRole.userErrors[0].code).toBe('NOT_FOUND');
    expect((await ws.ok(DELETE_ROLE, { input: { id: createRole.role.id } })).deleteRole.userErrors[0].code).toBe('NOT_FOUND');
    expect(await server.count('custom_role', other.id)).toBe(1);
  });

  it('does not let a delegated admin hand out more than they hold', async () => {
    const { createRole } = await ws.ok(CREATE_ROLE, {
      input: {
        name: 'People Admin',
        grants: [
          { permission: 'role:manage' },
          { permission: 'member:manage' },
          { permission: 'user:read' },
          { permission: 'contact:read', scope: 'TEAM' },
        ],
      },
    });
    const delegate = await ws.addMember('Dora Delegate');
    await ws.ok(UPDATE_MEMBER_ROLE, { input: { userId: userGid(delegate.id), role: createRole.role.id } });
    const before = await server.count('custom_role', ws.id);
    const wider = await as(delegate.headers, CREATE_ROLE, {
      input: {
        name: 'Wider',
        grants: [
          { permission: 'contact:read', scope: 'ALL' },
          { permission: 'contact:delete', scope: 'OWN' },
        ],
      },
    });
    expect(wider.createRole.userErrors).toEqual([
      {
        field: ['grants'],
        message: expect.stringMatching(/beyond your own: contact:read \(ALL\), contact:delete \(OWN\)/),
        code: 'FORBIDDEN',
      },
    ]);
    expect(await server.count('custom_role', ws.id)).toBe(before);
    const narrower = await as(delegate.headers, CREATE_ROLE, {
      input: { name: 'Narrower', grants: [{ permission: 'contact:read', scope: 'OWN' }] },
    });
    expect(narrower.createRole.userErrors).toEqual([]);

    const target = await ws.addMember('Tom Target');
    const promote = await as(delegate.headers, UPDATE_MEMBER_ROLE, { input: { userId: userGid(target.id), role: 'ADMIN' } });
    expect(promote.updateMemberRole.userErrors[0]).toMatchObject({ field: ['role'], code: 'FORBIDDEN' });
    expect(await roleOf(ws, target.id)).toBe('SALES');
    const ok = await as(delegate.headers, UPDATE_MEMBER_ROLE, { input: { userId: userGid(target.id), role: narrower.createRole.role.id } });
    expect(ok.updateMemberRole.userErrors).toEqual([]);
  });
});

describe('members', () => {
  it('lists members with role, teams and join date, page by page', async () => {
    const ws = await server.newWorkspace();
    const bob = await ws.addMember('Bob Builder', MembershipRole.MANAGER);
    await ws.addMember('Zed Zulu', MembershipRole.READ_ONLY);
    await ws.ok(CREATE_TEAM, { input: { name: 'Builders', memberIds: [userGid(bob.id)] } });
    const first = await ws.ok(MEMBERS, { first: 2 });
    expect(first.members.totalCount).toBe(3);
    expect(first.members.nodes.map((n: any) => [n.user.name, n.role.key, n.teams.map((t: any) => t.name)])).toEqual([
      ['Ada Admin', 'ADMIN', []],
      ['Bob Builder', 'MANAGER', ['Builders']],
    ]);
    expect(new Date(first.members.nodes[0].joinedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const next = await ws.ok(MEMBERS, { first: 2, after: first.members.pageInfo.endCursor });
    expect(next.members.nodes.map((n: any) => n.user.name)).toEqual(['Zed Zulu']);
    expect(next.members.pageInfo.hasNextPage).toBe(false);
  });

  it('lets only owners grant or take away Owner, and keeps at least one owner', async () => {
    const ws = await server.newWorkspace();
    const olga = await ws.addMember('Olga Owner', MembershipRole.OWNER);
    const sam = await ws.addMember('Sam Sales');
    const before = await server.count('membership', ws.id);

    // an admin cannot grant Owner, nor demote or remove an owner
    const grant = await ws.ok(UPDATE_MEMBER_ROLE, { input: { userId: userGid(sam.id), role: 'OWNER' } });
    expect(grant.updateMemberRole).toEqual({
      member: null,
      userErrors: [{ field: ['role'], message: 'only an owner may grant the Owner role', code: 'FORBIDDEN' }],
    });
    const demote = await ws.ok(UPDATE_MEMBER_ROLE, { input: { userId: userGid(olga.id), role: 'SALES' } });
    expect(demote.updateMemberRole.userErrors).toEqual([
      { field: ['userId'], message: 'only an owner may change the role of an owner', code: 'FORBIDDEN' },
    ]);
    const remove = await ws.ok(REMOVE_MEMBER, { input: { userId: userGid(olga.id) } });
    expect(remove.removeMember.userErrors[0]).toMatchObject({ field: ['userId'], code: 'FORBIDDEN' });
    expect(await roleOf(ws, sam.id)).toBe('SALES');
    expect(await roleOf(ws, olga.id)).toBe('OWNER');

    // the last owner can neither step down nor leave
    const stepDown = await as(olga.headers, UPDATE_MEMBER_ROLE, { input: { userId: userGid(olga.id), role: 'ADMIN' } });
    expect(stepDown.updateMemberRole.userErrors).toEqual([
      { field: ['role'], message: expect.stringMatching(/at least one owner/), code: 'CONFLICT' },
    ]);
    const leave = await as(olga.headers, REMOVE_MEMBER, { input: { userId: userGid(olga.id) } });
    expect(leave.removeMember.userErrors).toEqual([
      { field: ['userId'], message: expect.stringMatching(/at least one owner/), code: 'CONFLICT' },
    ]);
    expect(await roleOf(ws, olga.id)).toBe('OWNER');
    expect(await server.count('membership', ws.id)).toBe(before);

    // an owner makes Sam owner, then steps down
    const promote = await as(olga.headers, UPDATE_MEMBER_ROLE, { input: { userId: userGid(sam.id), role: 'OWNER' } });
    expect(promote.updateMemberRole).toEqual({
      member: { user: { id: userGid(sam.id) }, role: { key: 'OWNER', name: 'Owner' } },
      userErrors: [],
    });
    const handOver = await as(olga.headers, UPDATE_MEMBER_ROLE, { input: { userId: userGid(olga.id), role: 'ADMIN' } });
    expect(handOver.updateMemberRole.userErrors).toEqual([]);
    expect(await roleOf(ws, olga.id)).toBe('ADMIN');
    const lastAgain = await as(sam.headers, REMOVE_MEMBER, { input: { userId: userGid(sam.id) } });
    expect(lastAgain.removeMember.userErrors[0].code).toBe('CONFLICT');
  });

  it('validates the member and the role', async () => {
    const ws = await server.newWorkspace();
    const other = await server.newWorkspace();
    const cases: [Record<string, unknown>, string[], string][] = [
      [{ userId: 'nope', role: 'SALES' }, ['userId'], 'BAD_USER_INPUT'],
      [{ userId: userGid(other.userId), role: 'SALES' }, ['userId'], 'NOT_FOUND'],
      [{ userId: userGid(ws.userId), role: 'WIZARD' }, ['role'], 'NOT_FOUND'],
    ];
    for (const [input, field, code] of cases) {
      expect((await ws.ok(UPDATE_MEMBER_ROLE, { input })).updateMemberRole.userErrors[0]).toMatchObject({ field, code });
    }
    expect((await ws.ok(REMOVE_MEMBER, { input: { userId: userGid(other.userId) } })).removeMember.userErrors[0]).toMatchObject({
      field: ['userId'],
      code: 'NOT_FOUND',
    });
    expect(await roleOf(other, other.userId)).toBe('ADMIN');
    expect(await server.count('membership', other.id)).toBe(1);
  });

  it('removes a member with their team memberships', async () => {
    const ws = await server.newWorkspace();
    const leaver = await ws.addMember('Lea Leaver');
    const stayer = await ws.addMember('Stan Stayer');
    await ws.ok(CREATE_TEAM, { input: { name: 'North', memberIds: [userGid(leaver.id), userGid(stayer.id)] } });
    await ws.ok(CREATE_TEAM, { input: { name: 'South', memberIds: [userGid(leaver.id)] } });
    expect(await server.count('team_member', ws.id)).toBe(3);
    const res = await ws.ok(REMOVE_MEMBER, { input: { userId: userGid(leaver.id) } });
    expect(res.removeMember).toEqual({ removedUserId: userGid(leaver.id), userErrors: [] });
    expect(await server.count('team_member', ws.id)).toBe(1);
    expect(await server.count('membership', ws.id)).toBe(2);
    const audit = await server.orm.em
      .getConnection()
      .execute<{ action: string; actor_user_id: string }[]>(
        `select action, actor_user_id from audit_log where workspace_id = ? and action like '%deleted' order by action`,
        [ws.id],
      );
    expect(audit).toEqual([
      { action: 'member.deleted', actor_user_id: ws.userId },
      { action: 'teamMember.deleted', actor_user_id: ws.userId },
      { action: 'teamMember.deleted', actor_user_id: ws.userId },
    ]);
    expect((await ws.ok(MEMBERS)).members.nodes.map((n: any) => n.user.name)).toEqual(['Ada Admin', 'Stan Stayer']);
    // the removed user can no longer act in the workspace
    const denied = await server.gql(MEMBERS, {}, leaver.headers);
    expect(denied.data?.members).toBeFalsy();
    expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(denied.errors?.[0]?.extensions?.code);
  });
});

describe('teams', () => {
  it('creates, renames, fills and deletes teams', async () => {
    const ws = await server.newWorkspace();
    const ann = await ws.addMember('Ann North');
    const ben = await ws.addMember('Ben North');
    const created = await ws.ok(CREATE_TEAM, { input: { name: ' North ', memberIds: [userGid(ben.id), userGid(ann.id)] } });
    expect(created.createTeam.userErrors).toEqual([]);
    const team = created.createTeam.team;
    expect(team).toMatchObject({
      name: 'North',
      members: [
        { id: userGid(ann.id), name: 'Ann North' },
        { id: userGid(ben.id), name: 'Ben North' },
      ],
    });

    expect((await ws.ok(RENAME_TEAM, { input: { id: team.id, name: 'Northern' } })).renameTeam.team.name).toBe('Northern');
    const removed = await ws.ok(REMOVE_TEAM_MEMBER, { input: { teamId: team.id, userId: userGid(ben.id) } });
    expect(removed.removeTeamMember.team.members.map((m: any) => m.name)).toEqual(['Ann North']);
    const added = await ws.ok(ADD_TEAM_MEMBER, { input: { teamId: team.id, userId: userGid(ws.userId) } });
    expect(added.addTeamMember.team.members.map((m: any) => m.name)).toEqual(['Ada Admin', 'Ann North']);
    expect((await ws.ok(TEAMS)).teams).toEqual([
      {
        id: team.id,
        name: 'Northern',
        members: [
          { id: userGid(ws.userId), name: 'Ada Admin' },
          { id: userGid(ann.id), name: 'Ann North' },
        ],
      },
    ]);

    const deleted = await ws.ok(DELETE_TEAM, { input: { id: team.id } });
    expect(deleted.deleteTeam).toEqual({ deletedId: team.id, userErrors: [] });
    expect(await server.count('team', ws.id)).toBe(0);
    expect(await server.count('team_member', ws.id)).toBe(0);
  });

  it('rejects bad team changes, writing nothing', async () => {
    const ws = await server.newWorkspace();
    const other = await server.newWorkspace();
    const member = await ws.addMember('Mia Member');
    const { createTeam } = await ws.ok(CREATE_TEAM, { input: { name: 'Alpha', memberIds: [userGid(member.id)] } });
    const foreignTeam = (await other.ok(CREATE_TEAM, { input: { name: 'Theirs' } })).createTeam.team;
    const teams = await server.count('team', ws.id);
    const links = await server.count('team_member', ws.id);

    const creates: [Record<string, unknown>, string[], string][] = [
      [{ name: 'alpha' }, ['name'], 'CONFLICT'],
      [{ name: '  ' }, ['name'], 'BAD_USER_INPUT'],
      [{ name: 'Beta', memberIds: [userGid(member.id), userGid(other.userId)] }, ['memberIds', '1'], 'NOT_FOUND'],
      [{ name: 'Gamma', memberIds: ['garbage'] }, ['memberIds', '0'], 'BAD_USER_INPUT'],
    ];
    for (const [input, field, code] of creates) {
      const res = await ws.ok(CREATE_TEAM, { input });
      expect(res.createTeam.team).toBeNull();
      expect(res.createTeam.userErrors[0]).toMatchObject({ field, code });
    }
    const team = createTeam.team.id;
    expect(
      (await ws.ok(ADD_TEAM_MEMBER, { input: { teamId: team, userId: userGid(member.id) } })).addTeamMember.userErrors[0],
    ).toMatchObject({ field: ['userId'], code: 'CONFLICT' });
    expect(
      (await ws.ok(ADD_TEAM_MEMBER, { input: { teamId: team, userId: userGid(other.userId) } })).addTeamMember.userErrors[0],
    ).toMatchObject({ field: ['userId'], code: 'NOT_FOUND' });
    expect(
      (await ws.ok(ADD_TEAM_MEMBER, { input: { teamId: foreignTeam.id, userId: userGid(member.id) } })).addTeamMember.userErrors[0],
    ).toMatchObject({ field: ['teamId'], code: 'NOT_FOUND' });
    expect(
      (await ws.ok(REMOVE_TEAM_MEMBER, { input: { teamId: team, userId: userGid(ws.userId) } })).removeTeamMember.userErrors[0],
    ).toMatchObject({ field: ['userId'], code: 'NOT_FOUND' });
    expect((await ws.ok(RENAME_TEAM, { input: { id: foreignTeam.id, name: 'Mine' } })).renameTeam.userErrors[0]).toMatchObject({
      field: ['id'],
      code: 'NOT_FOUND',
    });
    expect((await ws.ok(DELETE_TEAM, { input: { id: foreignTeam.id } })).deleteTeam.userErrors[0]).toMatchObject({
      field: ['id'],
      code: 'NOT_FOUND',
    });
    expect(await server.count('team', ws.id)).toBe(teams);
    expect(await server.count('team_member', ws.id)).toBe(links);
    expect(await server.count('team', other.id)).toBe(1);
  });

  it('decides what TEAM scope reaches: records owned by team mates', async () => {
    const ws = await server.newWorkspace();
    const seller = await ws.addMember('Sue Seller', MembershipRole.SALES);
    const mate = await ws.addMember('Mat Mate', MembershipRole.SALES);
    const created = await ws.ok(`mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } ${ERRORS} } }`, {
      input: { firstName: 'Owned', lastName: 'ByMate', ownerId: userGid(mate.id) },
    });
    expect(created.createContact.userErrors).toEqual([]);
    const visible = async () =>
      (await as(seller.headers, 'query { contacts(first: 50) { nodes { name } } }')).contacts.nodes.map((n: any) => n.name);
    expect(await visible()).toEqual([]);
    const { createTeam } = await ws.ok(CREATE_TEAM, { input: { name: 'Duo', memberIds: [userGid(seller.id), userGid(mate.id)] } });
    expect(await visible()).toEqual(['Owned ByMate']);
    await ws.ok(REMOVE_TEAM_MEMBER, { input: { teamId: createTeam.team.id, userId: userGid(mate.id) } });
    expect(await visible()).toEqual([]);
  });
});
