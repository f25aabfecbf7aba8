/**
 * Example operations of a front-end app, written with the generated `graphql()` function: each call returns a
 * TypedDocumentNode whose result and variables types codegen derived from schema/schema.graphql (kernel + every
 * built-in plugin). Edit or add operations, then run `npm run codegen` to refresh client/generated/.
 */
import { graphql } from './generated/index.js';

/** A kernel type (Contact) with a field the pipeline plugin adds to it (Contact.deals → Deal). */
export const ContactWithDeals = graphql(`
  query ContactWithDeals($id: ID!, $first: Int = 10) {
    contact(id: $id) {
      id
      firstName
      lastName
      deals(first: $first) {
        totalCount
        nodes {
          ...DealSummary
        }
      }
    }
  }
`);

/** A pipeline type, as a fragment other operations spread. */
export const DealSummary = graphql(`
  fragment DealSummary on Deal {
    id
    name
    status
    amount {
      amount
      currency
    }
    stage {
      name
      probability
    }
  }
`);

/** A kernel mutation: one `input`, a payload with the record and typed `userErrors`. */
export const CreateContact = graphql(`
  mutation CreateContact($input: CreateContactInput!) {
    createContact(input: $input) {
      contact {
        id
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`);
