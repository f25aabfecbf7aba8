import { withWorkspace } from '../../src/db/rls/tenant-context.js';
import type { DomainEvent } from '../../src/events/handlers.js';
import { fanOutEvent } from '../../src/core/webhooks/delivery.js';
import { parseGlobalId } from '../../src/graphql/global-id.js';
import type { TestServer, TestWorkspace } from '../support/harness.js';

export const CREATE_ENDPOINT = `mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { id url eventTypes enabled role description conditions { field equals } } userErrors { field message code } }
}`;

export interface MadeEndpoint {
  id: string;
  rawId: string;
  secret: string;
}

/** Creates an endpoint through the API (fails the test on user errors). */
export async function makeEndpoint(ws: TestWorkspace, input: Record<string, unknown>): Promise<MadeEndpoint> {
  const data = await ws.ok(CREATE_ENDPOINT, { input });
  const result = data.createWebhookEndpoint;
  if (result.userErrors.length) throw new Error(`createWebhookEndpoint: ${JSON.stringify(result.userErrors)}`);
  return { id: result.endpoint.id, rawId: parseGlobalId(result.endpoint.id)!.id, secret: result.secret };
}

export async function createContact(ws: TestWorkspace, input: Record<string, unknown>): Promise<string> {
  const data = await ws.ok(
    `mutation($input: CreateContactInput!) { createContact(input: $input) { contact { id } userErrors { field message } } }`,
    { input },
  );
  if (data.createContact.userErrors.length) throw new Error(JSON.stringify(data.createContact.userErrors));
  return data.createContact.contact.id;
}

export const owner = (server: TestServer) => server.orm.em.getConnection();

/** The workspace's domain events (oldest first). */
export async function eventsOf(server: TestServer, workspaceId: string, type?: string) {
  return owner(server).execute<{ id: string; type: string; payload: any; occurred_at: Date | string; actor_user_id: string | null }[]>(
    `select id, type, payload, occurred_at, actor_user_id from outbox_event where workspace_id = ? ${type ? 'and type = ?' : ''} order by occurred_at, id`,
    type ? [workspaceId, type] : [workspaceId],
  );
}

/**
 * Runs the webhook fan-out over the workspace's events, as the outbox worker's `kernel/webhooks` subscriber does
 * (in the workspace, as the application role): deterministic, without waiting for a worker. Idempotent.
 */
export async function fanOut(server: TestServer, workspaceId: string): Promise<void> {
  for (const row of await eventsOf(server, workspaceId)) {
    const event: DomainEvent = {
      id: row.id,
      type: row.type,
      workspaceId,
      occurredAt: new Date(row.occurred_at),
      actor: { userId: row.actor_user_id, apiKeyId: null },
      payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
    };
    await withWorkspace(server.appOrm, workspaceId, (em) => fanOutEvent(em, event));
  }
}

export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string | null;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
}

export async function deliveriesOf(server: TestServer, workspaceId: string, endpointRawId?: string): Promise<DeliveryRow[]> {
  const rows = await owner(server).execute<DeliveryRow[]>(
    `select id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_error from webhook_delivery
      where workspace_id = ? ${endpointRawId ? 'and endpoint_id = ?' : ''} order by created_at, event_type, id`,
    endpointRawId ? [workspaceId, endpointRawId] : [workspaceId],
  );
  return rows.map((r) => ({ ...r, next_attempt_at: r.next_attempt_at == null ? null : new Date(r.next_attempt_at) }));
}

export async function attemptsOf(server: TestServer, deliveryId: string) {
  return owner(server).execute<
    {
      attempt_no: number;
      response_status: number | null;
      response_body: string | null;
      error: string | null;
      duration_ms: number;
      request_headers: any;
      request_body: string;
    }[]
  >(
    `select attempt_no, response_status, response_body, error, duration_ms, request_headers, request_body from webhook_attempt where delivery_id = ? order by attempt_no`,
    [deliveryId],
  );
}
