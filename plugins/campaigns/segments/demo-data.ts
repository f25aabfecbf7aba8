import { actAs, contactIdsMatching, validateContactRules, type PluginContext } from '../../../src/sdk/index.js';
import { MemberSource, SegmentKind } from './entities.js';
import { changeMembers } from './membership.js';
import { createSegment } from './segment.service.js';

/** The demo workspace's lists and segments: a newsletter list of consenting contacts and three dynamic segments. */
export async function seedSegmentDemo(context: PluginContext): Promise<void> {
  await actAs(context, null, async (ctx) => {
    const list = await createSegment(ctx, {
      name: 'Newsletter subscribers',
      description: 'Contacts who asked for the monthly newsletter.',
      kind: SegmentKind.STATIC,
    });
    const consenting = await validateContactRules(ctx, { field: 'marketingConsent', op: 'neq', value: 'WITHDRAWN' });
    await changeMembers(ctx.em, list, { add: await contactIdsMatching(ctx, consenting, { limit: 120 }), source: MemberSource.IMPORT });
    const dynamic: [string, string, unknown][] = [
      [
        'Open leads',
        'Leads and marketing-qualified contacts.',
        { field: 'lifecycleStage', op: 'in', value: ['LEAD', 'MARKETING_QUALIFIED'] },
      ],
      [
        'Engaged customers',
        'Customers with an activity in the last 30 days.',
        {
          all: [
            { field: 'lifecycleStage', op: 'eq', value: 'CUSTOMER' },
            { fact: 'activity.logged', params: { withinLastDays: 30 } },
          ],
        },
      ],
      [
        'Dormant contacts',
        'No activity for 90 days: candidates for a win-back sequence.',
        { all: [{ fact: 'activity.none', params: { days: 90 } }, { not: { field: 'lifecycleStage', op: 'eq', value: 'CHURNED' } }] },
      ],
    ];
    for (const [name, description, rules] of dynamic) await createSegment(ctx, { name, description, kind: SegmentKind.DYNAMIC, rules });
  });
}
