import { randomUUID } from 'node:crypto';
import type { GraphQLClient, PluginTestServer } from '../../../src/sdk/testing.js';
import { toGlobalId } from '../../../src/graphql/global-id.js';
import { parseGlobalId } from '../../../src/graphql/global-id.js';

export const rawId = (globalId: string) => parseGlobalId(globalId)!.id;

export const TEMPLATE_FIELDS = 'id name subject preheader format source textBody compiledHtml version';
export const CREATE_TEMPLATE = `mutation($i: CreateCampaignTemplateInput!) { createCampaignTemplate(input: $i) { template { ${TEMPLATE_FIELDS} } userErrors { field message code } } }`;
export const UPDATE_TEMPLATE = `mutation($i: UpdateCampaignTemplateInput!) { updateCampaignTemplate(input: $i) { template { ${TEMPLATE_FIELDS} } userErrors { field message code } } }`;
export const CAMPAIGN_FIELDS =
  'id name status scheduledAt recipientCount version segmentIds senderAddress cost { amount currency } template { id }';
export const CREATE_CAMPAIGN = `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { campaign { ${CAMPAIGN_FIELDS} } userErrors { field message code } } }`;
export const SEND_NOW = `mutation($id: ID!) { sendCampaignNow(input: { id: $id }) { campaign { ${CAMPAIGN_FIELDS} } userErrors { field message code } } }`;
export const SCHEDULE = `mutation($id: ID!, $at: DateTimeISO!) { scheduleCampaign(input: { id: $id, at: $at }) { campaign { ${CAMPAIGN_FIELDS} } userErrors { field message code } } }`;
export const STATS = `query($id: ID!) { campaign(id: $id) { status stats { recipients sent skipped skippedByReason { reason count } delivered failed queued
  uniqueOpens totalOpens machineOpens uniqueClicks totalClicks clickToOpenRate unsubscribes bounces links { index url clicks uniqueClicks } } } }`;

export async function createTemplate(ws: GraphQLClient, input: Record<string, unknown>) {
  const data = await ws.ok(CREATE_TEMPLATE, {
    i: { name: `T ${randomUUID().slice(0, 6)}`, subject: 'Hello', source: '<p>Hi</p>', ...input },
  });
  if (data.createCampaignTemplate.userErrors.length) throw new Error(JSON.stringify(data.createCampaignTemplate.userErrors));
  return data.createCampaignTemplate.template as { id: string; version: number; compiledHtml: string };
}

export async function createContact(ws: GraphQLClient, input: Record<string, unknown>): Promise<string> {
  const data = await ws.ok(
    `mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } userErrors { field message } } }`,
    { i: input },
  );
  if (data.createContact.userErrors.length) throw new Error(JSON.stringify(data.createContact.userErrors));
  return data.createContact.contact.id;
}

/** A static segment with these members, written as SQL (the segments API is another branch's). Returns its global id. */
export async function createSegment(
  server: PluginTestServer,
  workspaceId: string,
  contactIds: string[],
  name = `S ${randomUUID().slice(0, 6)}`,
) {
  const id = randomUUID();
  const conn = server.orm.em.getConnection();
  await conn.execute(
    `insert into campaign_segment (id, workspace_id, created_at, updated_at, version, name, kind, member_count) values (?, ?, now(), now(), 1, ?, 'static', ?)`,
    [id, workspaceId, name, contactIds.length],
  );
  for (const contactId of contactIds)
    await conn.execute(
      `insert into campaign_segment_member (segment_id, contact_id, workspace_id, source, added_at) values (?, ?, ?, 'manual', now())`,
      [id, rawId(contactId), workspaceId],
    );
  return toGlobalId('CampaignSegment', id);
}

export async function createCampaign(ws: GraphQLClient, input: Record<string, unknown>) {
  const data = await ws.ok(CREATE_CAMPAIGN, { i: { name: `C ${randomUUID().slice(0, 6)}`, ...input } });
  if (data.createCampaign.userErrors.length) throw new Error(JSON.stringify(data.createCampaign.userErrors));
  return data.createCampaign.campaign as { id: string; status: string; version: number };
}

export interface SendRow {
  id: string;
  contact_id: string;
  status: string;
  skip_reason: string | null;
  email: string | null;
  message_id: string | null;
  claim_token: string | null;
}

export async function sendsOf(server: PluginTestServer, campaignId: string): Promise<SendRow[]> {
  return server.orm.em
    .getConnection()
    .execute(
      `select id, contact_id, status, skip_reason, email, message_id, claim_token from campaign_send where campaign_id = ? order by email, id`,
      [rawId(campaignId)],
    );
}

export async function count(server: PluginTestServer, sql: string, params: unknown[]): Promise<number> {
  const [row] = await server.orm.em.getConnection().execute(sql, params);
  return Number(Object.values(row as object)[0]);
}
