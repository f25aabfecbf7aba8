import { parseGlobalId, toGlobalId } from '../../src/graphql/global-id.js';
import type { TestServer, TestWorkspace } from '../support/harness.js';

export const CREATE_RULE = `mutation($input: CreateAutomationRuleInput!) {
  createAutomationRule(input: $input) { rule { id name enabled version definitionVersion definition ownerId } userErrors { field message code } }
}`;

export const UPDATE_RULE = `mutation($input: UpdateAutomationRuleInput!) {
  updateAutomationRule(input: $input) { rule { id enabled version definitionVersion definition } userErrors { field message code } }
}`;

export const RUNS = `query($ruleId: ID, $status: AutomationRunStatus) {
  automationRuns(ruleId: $ruleId, status: $status, first: 100) {
    totalCount
    nodes { id ruleVersion status recordId error resumeAt causation trigger steps { stepNo path action outcome input output error } }
  }
}`;

/** Creates a rule through the API (fails the test on user errors); returns its global id. */
export async function makeRule(ws: TestWorkspace, input: { name: string; definition: unknown; enabled?: boolean }): Promise<string> {
  const data = await ws.ok(CREATE_RULE, { input });
  const result = data.createAutomationRule;
  if (result.userErrors.length) throw new Error(`createAutomationRule: ${JSON.stringify(result.userErrors)}`);
  return result.rule.id;
}

export async function runsOf(ws: TestWorkspace, ruleId: string, status?: string): Promise<any[]> {
  return (await ws.ok(RUNS, { ruleId, status })).automationRuns.nodes;
}

export async function createContact(ws: TestWorkspace, input: Record<string, unknown>): Promise<{ id: string; version: number }> {
  const data = await ws.ok(
    `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id version } userErrors { field message } } }`,
    { input },
  );
  if (data.createContact.userErrors.length) throw new Error(JSON.stringify(data.createContact.userErrors));
  return data.createContact.contact;
}

export async function updateContact(ws: TestWorkspace, input: Record<string, unknown>): Promise<any> {
  const data = await ws.ok(
    `mutation($input: UpdateContactInput!) { updateContact(input: $input) { contact { id version } userErrors { field message } } }`,
    { input },
  );
  if (data.updateContact.userErrors.length) throw new Error(JSON.stringify(data.updateContact.userErrors));
  return data.updateContact.contact;
}

export async function makeTeam(ws: TestWorkspace, name: string, memberIds: string[]): Promise<string> {
  const data = await ws.ok(`mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id } userErrors { message } } }`, {
    input: { name, memberIds: memberIds.map((id) => toGlobalId('User', id)) },
  });
  return data.createTeam.team.id;
}

export const sqlOf = (server: TestServer) => server.orm.em.getConnection();

/** How many runs of a rule are in a status (read in SQL: polling through the API would meet its rate limit). */
export async function countRuns(server: TestServer, ruleGlobalId: string, status: string): Promise<number> {
  const [row] = await sqlOf(server).execute<{ n: number }[]>(
    `select count(*)::int as n from automation_run where rule_id = ? and status = ?`,
    [parseGlobalId(ruleGlobalId)!.id, status],
  );
  return Number(row!.n);
}

export { until } from '../../src/sdk/testing.js';
