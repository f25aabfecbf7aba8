import type { GraphQLObjectType } from 'graphql';
import { startTestServer, type TestServer, type TestWorkspace } from '../support/harness.js';
import { toGlobalId } from '../../src/graphql/global-id.js';
import { MembershipRole } from '../../src/core/identity/membership.entity.js';
import { operationFor } from '../support/schema-walks.js';

/**
 * Each built-in role against every root operation of the kernel's schema. `y`: allowed, `-`: refused with
 * FORBIDDEN; roles in the order of ROLES. This table is the specification of the built-in roles (README lists it).
 */
const ROLES = [
  MembershipRole.OWNER,
  MembershipRole.ADMIN,
  MembershipRole.MANAGER,
  MembershipRole.SALES,
  MembershipRole.SUPPORT,
  MembershipRole.MARKETING,
  MembershipRole.READ_ONLY,
] as const;
//                        O A M S P K R
const EVERYONE = 'yyyyyyy';
const ADMINS = 'yy-----';
const EXPECTED: Record<string, string> = {
  // reading
  'Query.workspace': EVERYONE,
  'Query.node': EVERYONE,
  'Query.nodes': EVERYONE,
  'Query.search': EVERYONE,
  'Query.timeline': EVERYONE,
  'Query.users': EVERYONE,
  'Query.tags': EVERYONE,
  'Query.customFields': EVERYONE,
  'Query.contacts': EVERYONE,
  'Query.contact': EVERYONE,
  'Query.contactDuplicates': EVERYONE,
  'Query.duplicateContacts': EVERYONE,
  'Query.companies': EVERYONE,
  'Query.company': EVERYONE,
  'Query.companyDuplicates': EVERYONE,
  'Query.duplicateCompanies': EVERYONE,
  'Query.activities': EVERYONE,
  'Query.activity': EVERYONE,
  'Query.myMentions': EVERYONE,
  'Query.importJob': 'yyy--y-',
  'Query.importJobs': 'yyy--y-',
  // writing
  'Mutation.createWorkspace': EVERYONE,
  'Mutation.createTag': 'yyy--y-',
  'Mutation.updateTag': 'yyy--y-',
  'Mutation.deleteTag': 'yyy--y-',
  'Mutation.createCustomField': ADMINS,
  'Mutation.updateCustomField': ADMINS,
  'Mutation.archiveCustomField': ADMINS,
  'Mutation.unarchiveCustomField': ADMINS,
  'Mutation.deleteCustomField': ADMINS,
  'Mutation.createContact': 'yyyy-y-',
  'Mutation.updateContact': 'yyyyyy-',
  'Mutation.deleteContact': 'yyyy---',
  'Mutation.restoreContact': 'yyyy---',
  'Mutation.purgeContact': 'yyyy---',
  'Mutation.mergeContacts': 'yyyy---',
  'Mutation.createCompany': 'yyyy-y-',
  'Mutation.updateCompany': 'yyyy-y-',
  'Mutation.deleteCompany': 'yyyy---',
  'Mutation.restoreCompany': 'yyyy---',
  'Mutation.purgeCompany': 'yyyy---',
  'Mutation.mergeCompanies': 'yyyy---',
  'Mutation.logActivity': 'yyyyyy-',
  'Mutation.updateActivity': 'yyyyyy-',
  'Mutation.completeTask': 'yyyyyy-',
  'Mutation.reopenTask': 'yyyyyy-',
  'Mutation.deleteActivity': 'yyyyyy-',
  'Mutation.restoreActivity': 'yyyyyy-',
  'Mutation.addComment': 'yyyyyy-',
  'Mutation.editComment': 'yyyyyy-',
  'Mutation.deleteComment': 'yyyyyy-',
  'Mutation.importCsv': 'yyy--y-',
  // identity and administration
  'Mutation.signIn': 'public',
  'Mutation.refreshToken': 'public',
  'Mutation.acceptInvitation': 'public',
  'Query.me': EVERYONE,
  'Mutation.signOut': EVERYONE,
  'Mutation.changePassword': EVERYONE,
  'Mutation.enrollTotp': EVERYONE,
  'Mutation.confirmTotp': EVERYONE,
  'Mutation.disableTotp': EVERYONE,
  'Query.apiKeys': ADMINS,
  'Mutation.createApiKey': ADMINS,
  'Mutation.revokeApiKey': ADMINS,
  'Query.roles': EVERYONE,
  'Query.permissions': EVERYONE,
  'Query.members': EVERYONE,
  'Query.teams': EVERYONE,
  'Mutation.createRole': ADMINS,
  'Mutation.updateRole': ADMINS,
  'Mutation.deleteRole': ADMINS,
  'Query.invitations': ADMINS,
  'Mutation.inviteMember': ADMINS,
  'Mutation.revokeInvitation': ADMINS,
  'Mutation.updateMemberRole': ADMINS,
  'Mutation.removeMember': ADMINS,
  'Mutation.createTeam': 'yyy----',
  'Mutation.renameTeam': 'yyy----',
  'Mutation.deleteTeam': 'yyy----',
  'Mutation.addTeamMember': 'yyy----',
  'Mutation.removeTeamMember': 'yyy----',
  'Query.auditLog': 'yyy----',
  'Query.deadLetters': ADMINS,
  'Mutation.retryDeadLetter': ADMINS,
  'Query.integrations': ADMINS,
  'Mutation.createIntegration': ADMINS,
  'Mutation.revokeIntegration': ADMINS,
  'Query.webhookEndpoints': ADMINS,
  'Query.webhookEndpoint': ADMINS,
  'Query.webhookDeliveries': ADMINS,
  'Mutation.createWebhookEndpoint': ADMINS,
  'Mutation.updateWebhookEndpoint': ADMINS,
  'Mutation.deleteWebhookEndpoint': ADMINS,
  'Mutation.rotateWebhookSecret': ADMINS,
  'Mutation.testWebhookEndpoint': ADMINS,
  'Mutation.replayWebhookDelivery': ADMINS,
  'Mutation.replayFailedWebhookDeliveries': ADMINS,
  'Query.automationRules': ADMINS,
  'Query.automationRule': ADMINS,
  'Query.automationRuns': ADMINS,
  'Query.automationCatalog': ADMINS,
  'Query.exportPersonalData': ADMINS,
  'Mutation.erasePersonalData': ADMINS,
  'Mutation.createAutomationRule': ADMINS,
  'Mutation.updateAutomationRule': ADMINS,
  'Mutation.deleteAutomationRule': ADMINS,
  'Mutation.testAutomationRule': ADMINS,
  'Query.emailTemplates': 'yyyyyy-',
  'Query.emailTemplate': 'yyyyyy-',
  'Query.previewEmailTemplate': 'yyyyyy-',
  'Query.emailMessages': 'yyyyyy-',
  'Mutation.createEmailTemplate': 'yy---y-',
  'Mutation.updateEmailTemplate': 'yy---y-',
  'Mutation.deleteEmailTemplate': 'yy---y-',
  'Mutation.sendEmail': 'yyyyyy-',
  'Query.notifications': EVERYONE,
  'Query.unreadNotificationCount': EVERYONE,
  'Query.notificationPreferences': EVERYONE,
  'Query.notificationWorkspaceSettings': EVERYONE,
  'Mutation.markNotificationRead': EVERYONE,
  'Mutation.markAllNotificationsRead': EVERYONE,
  'Mutation.updateNotificationPreferences': EVERYONE,
  'Mutation.updateNotificationWorkspaceSettings': ADMINS,
  'Query.modules': EVERYONE,
  'Mutation.enableModule': ADMINS,
  'Mutation.disableModule': ADMINS,
  'Mutation.updateModuleSettings': ADMINS,
  'Mutation.uninstallModule': ADMINS,
};

describe('role × operation matrix', () => {
  let server: TestServer;
  let ws: TestWorkspace;
  const members = new Map<string, Record<string, string>>();
  /** Members for the walk over every operation (it signs them out at the end). */
  const walkers = new Map<string, Record<string, string>>();
  const headersOf = (m: { email: string; headers?: Record<string, string> }) => m.headers ?? { 'x-workspace': ws.slug, 'x-user': m.email };
  let strangerRecords: { contact: string; company: string; activity: string };

  beforeAll(async () => {
    server = await startTestServer();
    ws = await server.newWorkspace();
    for (const role of ROLES) {
      members.set(role, headersOf(await ws.addMember(`${role} Member`, role)));
      walkers.set(role, headersOf(await ws.addMember(`${role} Walker`, role)));
    }
    // records of a sales rep who shares no team with anyone: only ALL-scoped roles see them
    const stranger = await ws.addMember('Stranger Sales', MembershipRole.SALES);
    const strangerId = toGlobalId('User', stranger.id);
    const company = await ws.ok(
      `mutation($i: CreateCompanyInput!) { createCompany(input: $i) { company { id } userErrors { message } } }`,
      { i: { name: 'Stranger Co', ownerId: strangerId } },
    );
    const contact = await ws.ok(
      `mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } userErrors { message } } }`,
      { i: { firstName: 'Stranger', lastName: 'Lead', ownerId: strangerId } },
    );
    const activity = await ws.ok(`mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } userErrors { message } } }`, {
      i: { type: 'TASK', subject: 'Stranger task', assigneeId: strangerId, targetIds: [contact.createContact.contact.id] },
    });
    strangerRecords = {
      contact: contact.createContact.contact.id,
      company: company.createCompany.company.id,
      activity: activity.logActivity.activity.id,
    };
  });
  afterAll(() => server.close());

  it('has an expectation for every root operation of the schema, and each role gets exactly those', async () => {
    const schema = server.app.schema;
    const operations = (['Query', 'Mutation'] as const).flatMap((root) =>
      Object.keys((schema.getType(root) as GraphQLObjectType).getFields()).map((f) => [root, f] as const),
    );
    expect(
      operations
        .map(([r, f]) => `${r}.${f}`)
        .filter((op) => !(op in EXPECTED))
        .sort(),
    ).toEqual([]);

    const mismatches: string[] = [];
    // ending one's own session goes last: the members' tokens must stay valid for the rest of the walk
    const last = ['changePassword', 'signOut'];
    const ordered = [...operations].sort(([, a], [, b]) => last.indexOf(a) - last.indexOf(b));
    for (const [root, field] of ordered) {
      const expected = EXPECTED[`${root}.${field}`]!;
      if (expected === 'public') continue;
      const { query, variables } = operationFor(schema, root, field);
      for (const [i, role] of ROLES.entries()) {
        const response = await server.gql(query, variables, walkers.get(role)!);
        const refusal = response.errors?.find(
          (e) => e.path?.[0] === field && ['FORBIDDEN', 'UNAUTHENTICATED'].includes(e.extensions?.code),
        );
        const internal = response.errors?.find((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR');
        if (internal) mismatches.push(`${root}.${field} as ${role}: internal error`);
        const requestLevel = response.errors?.find((e) => !e.path);
        if (requestLevel) mismatches.push(`${root}.${field} as ${role}: request failed: ${requestLevel.message}`);
        const allowed = !refusal;
        if (allowed !== (expected[i] === 'y'))
          mismatches.push(
            `${root}.${field} as ${role}: expected ${expected[i] === 'y' ? 'allowed' : 'FORBIDDEN'}, got ${allowed ? 'allowed' : refusal!.extensions!.code}`,
          );
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses every operation but the public ones to anonymous callers', async () => {
    const schema = server.app.schema;
    const wrong: string[] = [];
    for (const root of ['Query', 'Mutation'] as const) {
      for (const field of Object.keys((schema.getType(root) as GraphQLObjectType).getFields())) {
        const { query, variables } = operationFor(schema, root, field);
        const response = await server.gql(query, variables);
        const refusal = response.errors?.find(
          (e) => e.path?.[0] === field && e.extensions?.code === 'UNAUTHENTICATED' && e.message.startsWith('Sign in first'),
        );
        if (EXPECTED[`${root}.${field}`] === 'public' ? refusal : !refusal)
          wrong.push(`${root}.${field}: ${JSON.stringify(response.errors?.[0] ?? response.data)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it.each([
    ['contacts', 'contact'],
    ['companies', 'company'],
    ['activities', 'activity'],
  ] as const)('scopes %s: a sales rep outside the owner’s teams does not see the record; all-scoped roles do', async (list, key) => {
    for (const role of ROLES) {
      const response = await server.gql(`{ ${list}(first: 100) { totalCount edges { node { id } } } }`, {}, members.get(role)!);
      expect(response.errors).toBeUndefined();
      const ids = response.data[list].edges.map((e: { node: { id: string } }) => e.node.id);
      const sees = ids.includes(strangerRecords[key]);
      expect({ role, sees }).toEqual({ role, sees: role !== MembershipRole.SALES });
      expect(response.data[list].totalCount).toBe(ids.length);
    }
  });
});
