import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context.js';
import { toGlobalId } from '../../graphql/global-id.js';
import { runMutation } from '../shared/mutation.js';
import { COMPANY } from '../customers/company.service.js';
import { CONTACT } from '../customers/contact.service.js';
import { DuplicateCandidate, DuplicateGroup, MergeCompaniesPayload, MergeContactsPayload, MergeInput } from './duplicate.types.js';
import { companyDuplicates, contactDuplicates, duplicateGroups } from './duplicate.service.js';
import { Company } from '../customers/company.entity.js';
import { Contact } from '../customers/contact.entity.js';
import { mergeCompanies, mergeContacts } from './merge.service.js';

@Resolver()
export class DuplicateResolver {
  @Query(() => [DuplicateCandidate], {
    description: 'Live contacts that look like this one (shared email or phone, similar name), best first.',
  })
  contactDuplicates(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return contactDuplicates(ctx, id);
  }

  @Query(() => [DuplicateCandidate], {
    description: 'Live companies that look like this one (shared domain or phone, similar name), best first.',
  })
  companyDuplicates(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return companyDuplicates(ctx, id);
  }

  @Query(() => [DuplicateGroup], { description: 'Groups of live contacts sharing an email or a phone number, largest first.' })
  duplicateContacts(
    @Arg('first', () => Int, { nullable: true, description: 'At most 100 groups; default 20.' }) first: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    return duplicateGroups(ctx, Contact, 'contact', first);
  }

  @Query(() => [DuplicateGroup], { description: 'Groups of live companies sharing a domain or a phone number, largest first.' })
  duplicateCompanies(
    @Arg('first', () => Int, { nullable: true, description: 'At most 100 groups; default 20.' }) first: number | null,
    @Ctx() ctx: RequestContext,
  ) {
    return duplicateGroups(ctx, Company, 'company', first);
  }

  @Mutation(() => MergeContactsPayload, {
    description:
      'Merges contacts into the target in one step: timeline, tags, emails, phones and custom values move over; the sources go to the trash.',
  })
  mergeContacts(@Arg('input', () => MergeInput) input: MergeInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const { contact, mergedIds } = await mergeContacts(tx, input);
      return { contact, mergedIds: mergedIds.map((id) => toGlobalId(CONTACT, id)) };
    }).then((r) => ({ ...r, mergedIds: r.mergedIds ?? [] }));
  }

  @Mutation(() => MergeCompaniesPayload, {
    description:
      'Merges companies into the target in one step: timeline, tags, domains, phones, contacts and custom values move over; the sources go to the trash.',
  })
  mergeCompanies(@Arg('input', () => MergeInput) input: MergeInput, @Ctx() ctx: RequestContext) {
    return runMutation(ctx, async (tx) => {
      const { company, mergedIds } = await mergeCompanies(tx, input);
      return { company, mergedIds: mergedIds.map((id) => toGlobalId(COMPANY, id)) };
    }).then((r) => ({ ...r, mergedIds: r.mergedIds ?? [] }));
  }
}
