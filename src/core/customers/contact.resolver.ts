import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { ConnectionArgs, toConnection } from '../../graphql/relay.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { runMutation } from '../shared/mutation.js';
import { UserNode } from '../identity/user.types.js';
import { User } from '../identity/user.entity.js';
import { TagNode } from '../tags/tag.types.js';
import { tagsLoader } from '../tags/tag.service.js';
import type { Company } from './company.entity.js';
import { readable } from './record-scope.js';
import { CompanyNode } from './company.types.js';
import type { Contact } from './contact.entity.js';
import { DeletePayload } from '../shared/delete-payload.js';
import { ContactNode, ContactPayload, CreateContactInput, UpdateContactInput } from './contact.types.js';
import { ContactConnection, ContactFilter, ContactOrder, contacts } from './contact.records.js';
import {
  CONTACT,
  contactDisplayName,
  createContact,
  deleteContact,
  findContact,
  purgeContact,
  restoreContact,
  updateContact,
} from './contact.service.js';

@Resolver(() => ContactNode)
export class ContactResolver {
  @Query(() => ContactConnection, { description: 'Contacts of the workspace: filter, sort (built-in or custom fields) and page.' })
  async contacts(
    @Args() page: ConnectionArgs,
    @Arg('filter', () => ContactFilter, { nullable: true }) filter: ContactFilter | null,
    @Arg('orderBy', () => [ContactOrder], { nullable: true }) orderBy: ContactOrder[] | null,
    @Ctx() ctx: RequestContext,
  ) {
    return toConnection(await contacts.list(ctx, page, filter, orderBy));
  }

  @Query(() => ContactNode, { nullable: true })
  contact(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return findContact(ctx, id);
  }

  @Mutation(() => ContactPayload)
  createContact(@Arg('input', () => CreateContactInput) input: CreateContactInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ contact: await createContact(tx, input) }));
  }

  @Mutation(() => ContactPayload)
  updateContact(@Arg('input', () => UpdateContactInput) input: UpdateContactInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ contact: await updateContact(tx, input) }));
  }

  @Mutation(() => ContactPayload, { description: 'Moves a contact to the trash (restore with restoreContact).' })
  deleteContact(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int, { nullable: true }) version: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    return runMutation(ctx, async (tx) => ({ contact: await deleteContact(tx, id, version) }));
  }

  @Mutation(() => ContactPayload)
  restoreContact(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ contact: await restoreContact(tx, id) }));
  }

  @Mutation(() => DeletePayload, { description: 'Erases a contact in the trash for good.' })
  purgeContact(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => ({ deletedId: toGlobalId(CONTACT, await purgeContact(tx, id)) }));
  }

  @FieldResolver(() => ID)
  id(@Root() contact: Contact) {
    return toGlobalId(CONTACT, contact.id);
  }

  @FieldResolver(() => String, { description: 'Full name; the primary email when the contact has no name.' })
  name(@Root() contact: Contact) {
    return contactDisplayName(contact);
  }

  @FieldResolver(() => CompanyNode, { nullable: true })
  company(@Root() contact: Contact, @Ctx() ctx: RequestContext) {
    // null when the company is outside the caller's read scope
    return contact.company ? readable(ctx, 'Company').load(contact.company.id) : null;
  }

  @FieldResolver(() => UserNode, { nullable: true })
  owner(@Root() contact: Contact, @Ctx() ctx: RequestContext) {
    return contact.owner ? ctx.loaders.byId(User).load(contact.owner.id) : null;
  }

  @FieldResolver(() => [TagNode])
  tags(@Root() contact: Contact, @Ctx() ctx: RequestContext) {
    return tagsLoader(ctx, CONTACT).load(contact.id);
  }
}

/** `Company.contacts`: the live contacts working at a company. */
@Resolver(() => CompanyNode)
export class CompanyContactsField {
  @FieldResolver(() => ContactConnection, { description: 'Live contacts linked to this company.' })
  async contacts(
    @Root() company: Company,
    @Args() page: ConnectionArgs,
    @Arg('orderBy', () => [ContactOrder], { nullable: true }) orderBy: ContactOrder[] | null,
    @Ctx() ctx: RequestContext,
  ) {
    return toConnection(await contacts.pagesByParent(ctx, { parentColumn: 'c.company_id' }, page, null, orderBy).load(company.id));
  }
}
