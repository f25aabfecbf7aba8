/**
 * How a front-end app uses the typed client: a tiny `request` helper (any GraphQL client that accepts a
 * TypedDocumentNode works the same: urql, Apollo Client, graphql-request) and calls whose data and variables are
 * type-checked against the schema. `npm run typecheck` compiles this file, so a schema change that breaks it fails CI.
 */
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { ContactWithDeals, CreateContact, DealSummary } from './operations.js';
import { useFragment, type FragmentType } from './generated/index.js';

export interface GraphQLErrorResponse {
  message: string;
  extensions?: { code?: string; module?: string };
}

/** POSTs one operation to the CRM's /graphql with a bearer token; throws with the error codes on errors. */
export async function request<Result, Variables>(
  url: string,
  token: string,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
): Promise<Result> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: Result; errors?: GraphQLErrorResponse[] };
  if (body.errors?.length || !body.data) {
    throw new Error(body.errors?.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; ') ?? `HTTP ${response.status}`);
  }
  return body.data;
}

/** A deal as a list row: reads the fragment's fields (fragment masking keeps other components' fields out of reach). */
export function dealRow(deal: FragmentType<typeof DealSummary>): string {
  const d = useFragment(DealSummary, deal);
  const amount = d.amount ? `${(d.amount.amount / 100).toFixed(2)} ${d.amount.currency}` : '—';
  return `${d.name} · ${d.stage.name} (${d.stage.probability} %) · ${d.status} · ${amount}`;
}

/** Creates a contact and lists its deals; every field read below is typed from the schema. */
export async function example(url: string, token: string): Promise<string[]> {
  const created = await request(url, token, CreateContact, { input: { firstName: 'Ada', lastName: 'Lovelace' } });
  if (created.createContact.userErrors.length)
    throw new Error(created.createContact.userErrors.map((e) => `${e.field.join('.')}: ${e.message}`).join('; '));
  const id: string = created.createContact.contact!.id;
  const { contact } = await request(url, token, ContactWithDeals, { id, first: 5 });
  if (!contact) return [];
  const total: number = contact.deals.totalCount;
  return [`${contact.firstName} ${contact.lastName}: ${total} deal(s)`, ...contact.deals.nodes.map(dealRow)];
}
