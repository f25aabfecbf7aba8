import type { TestServer, TestWorkspace } from '../support/harness.js';

export const CREATE_TEMPLATE = `mutation($input: CreateEmailTemplateInput!) {
  createEmailTemplate(input: $input) { template { id key name subject html text dataVariables version } userErrors { field message code } }
}`;

export const UPDATE_TEMPLATE = `mutation($input: UpdateEmailTemplateInput!) {
  updateEmailTemplate(input: $input) { template { id key subject html text version } userErrors { field message code } }
}`;

export const PREVIEW = `query($input: PreviewEmailTemplateInput!) {
  previewEmailTemplate(input: $input) { preview { to subject html text } userErrors { field message code } }
}`;

export const SEND = `mutation($input: SendEmailInput!) {
  sendEmail(input: $input) { message { id to subject html text status attempts contactId templateId } userErrors { field message code } }
}`;

export async function makeTemplate(ws: TestWorkspace, input: Record<string, unknown>): Promise<{ id: string; version: number }> {
  const data = await ws.ok(CREATE_TEMPLATE, { input });
  if (data.createEmailTemplate.userErrors.length) throw new Error(JSON.stringify(data.createEmailTemplate.userErrors));
  return data.createEmailTemplate.template;
}

export const CREATE_CONTACT = `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } userErrors { field message } } }`;

export async function createContact(ws: TestWorkspace, input: Record<string, unknown>): Promise<string> {
  const data = await ws.ok(CREATE_CONTACT, { input });
  if (data.createContact.userErrors.length) throw new Error(JSON.stringify(data.createContact.userErrors));
  return data.createContact.contact.id;
}

export interface MessageRow {
  id: string;
  status: string;
  attempts: number;
  to_address: string;
  subject: string;
  html: string;
  text: string;
  last_error: string | null;
  provider_message_id: string | null;
  sent_at: Date | null;
  contact_id: string | null;
  actor_id: string | null;
}

export async function messagesOf(server: TestServer, workspaceId: string): Promise<MessageRow[]> {
  return server.orm.em
    .getConnection()
    .execute<MessageRow[]>(
      `select id, status, attempts, to_address, subject, html, text, last_error, provider_message_id, sent_at, contact_id, actor_id from email_message where workspace_id = ? order by created_at, id`,
      [workspaceId],
    );
}

export async function eventsOf(server: TestServer, workspaceId: string, type: string) {
  const rows = await server.orm.em
    .getConnection()
    .execute<{ payload: unknown }[]>(`select payload from outbox_event where workspace_id = ? and type = ? order by occurred_at, id`, [
      workspaceId,
      type,
    ]);
  return rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>);
}
