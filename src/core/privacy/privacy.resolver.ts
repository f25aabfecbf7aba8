import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { RequestContext } from '../../graphql/context.js';
import { runMutation } from '../shared/mutation.js';
import { ErasureMode } from './privacy-provider.js';
import { ErasePersonalDataPayload } from './privacy.types.js';
import { exportDocument } from './privacy-export.js';
import { erasePersonalData } from './privacy.service.js';

@Resolver()
export class PrivacyResolver {
  @Query(() => GraphQLJSON, {
    description:
      'Everything the workspace holds about one contact (subject access request), kernel and every installed plugin, as one JSON document; audited. `GET /privacy/contacts/<id>/export` streams the same document. Needs `privacy:manage`.',
  })
  exportPersonalData(@Arg('contactId', () => ID) contactId: string, @Ctx() ctx: RequestContext) {
    return exportDocument(ctx, contactId);
  }

  @Mutation(() => ErasePersonalDataPayload, {
    description:
      'Erases one contact’s personal data everywhere (kernel, every installed plugin, event and audit history) and suppresses their addresses; audited without values. Needs `privacy:manage`.',
  })
  async erasePersonalData(
    @Arg('contactId', () => ID) contactId: string,
    @Arg('mode', () => ErasureMode) mode: ErasureMode,
    @Ctx() ctx: RequestContext,
  ): Promise<ErasePersonalDataPayload> {
    const payload = await runMutation(ctx, async (tx) => {
      const result = await erasePersonalData(tx, contactId, mode);
      return {
        contactId: result.contactId,
        mode: result.mode,
        erasedAt: result.erasedAt,
        sections: Object.entries(result.sections).map(([section, rows]) => ({ section, rows })),
      };
    });
    return Object.assign(new ErasePersonalDataPayload(), payload);
  }
}
