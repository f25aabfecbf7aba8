import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { sql } from '../../db/sql.js';
import type { RequestContext } from '../../graphql/context.js';
import { workspaceOf } from '../../graphql/context.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { keysetPagesByParent } from '../../graphql/keyset-page.js';
import { ConnectionArgs, pageRequest, toConnection, type Page } from '../../graphql/relay.js';
import type { Contact } from '../customers/contact.entity.js';
import { ContactNode } from '../customers/contact.types.js';
import { ConsentActorKind, type ConsentField } from './consent-change.entity.js';
import { ConsentChangeConnection, type ConsentChangeNode } from './consent.types.js';

const ACTOR_TYPES: Partial<Record<ConsentActorKind, string>> = {
  [ConsentActorKind.USER]: 'User',
  [ConsentActorKind.API_KEY]: 'ApiKey',
  [ConsentActorKind.IMPORT]: 'ImportJob',
  [ConsentActorKind.AUTOMATION]: 'AutomationRule',
};

function toNode(row: Record<string, unknown>): ConsentChangeNode {
  const kind = row.actor_kind as ConsentActorKind;
  const actorId = row.actor_id == null ? null : String(row.actor_id);
  const type = ACTOR_TYPES[kind];
  return {
    id: String(row.id),
    field: row.field as ConsentField,
    from: (row.from_value as string | null) ?? null,
    to: String(row.to_value),
    changedAt: new Date(row.changed_at as string),
    actorKind: kind,
    actorId: actorId && type ? toGlobalId(type, actorId) : actorId,
    source: (row.source as string | null) ?? null,
    legalBasis: (row.legal_basis as string | null) ?? null,
  };
}

/** Consent history pages of every contact on a page, newest first, in one statement per distinct set of arguments. */
function consentHistoryLoader(ctx: RequestContext, args: ConnectionArgs) {
  const request = pageRequest(args);
  return ctx.loaders.get<string, Page<ConsentChangeNode>>(`contact.consentHistory.${JSON.stringify(args)}`, (contactIds, c) =>
    keysetPagesByParent(
      c.em,
      {
        from: 'consent_change h',
        select: 'h.*',
        where: sql`h.workspace_id = ${workspaceOf(c)}`,
        orderBy: [{ expr: 'h.changed_at', direction: 'DESC', nullable: false }],
        idExpr: 'h.id',
      },
      'h.contact_id',
      contactIds,
      request,
      toNode,
    ),
  );
}

/** `Contact.consentHistory`: whoever may read the contact reads its history. */
@Resolver(() => ContactNode)
export class ContactConsentHistoryField {
  @FieldResolver(() => ConsentChangeConnection, {
    description: 'Every change of marketingConsent and the do-not flags, newest first: when, by whom or what, and why.',
  })
  async consentHistory(@Root() contact: Contact, @Args() page: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return toConnection(await consentHistoryLoader(ctx, page).load(contact.id));
  }
}
