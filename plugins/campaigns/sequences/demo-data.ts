import { actAs, contactIdsMatching, toGlobalId, validateContactRules, type PluginContext } from '../../../src/sdk/index.js';
import { CAMPAIGN_TEMPLATE, createTemplate } from '../templates/template.service.js';
import { EnrollmentSource } from './entities.js';
import { enroll } from './runner.js';
import { createSequence } from './sequence.service.js';
import { BranchOn, StepType, Weekday } from './steps.js';

/**
 * The demo workspace's running sequence: a welcome drip for new leads (welcome email, three days, a follow-up email on
 * the next Tuesday morning, a task for the owner of those who are still leads) with two leads enrolled. Seeded
 * without a job queue: the sweep starts their first step.
 */
export async function seedSequenceDemo(context: PluginContext): Promise<void> {
  await actAs(context, null, async (ctx) => {
    const welcome = await createTemplate(ctx, {
      name: 'Welcome',
      subject: 'Welcome, {{ contact.firstName }}',
      format: 'html',
      source: '<p>Hi {{ contact.firstName }}, thanks for your interest in {{ workspace.name }}.</p>',
    });
    const followUp = await createTemplate(ctx, {
      name: 'Welcome follow-up',
      subject: 'Anything we can help with?',
      format: 'html',
      source: '<p>Hi {{ contact.firstName }}, reply to this email if you have a question.</p>',
    });
    const sequence = await createSequence(ctx, {
      name: 'Welcome new leads',
      timeZone: 'Europe/Berlin',
      exitOn: { unsubscribed: true, becameCustomer: true },
      steps: [
        { type: StepType.SEND_EMAIL, templateId: toGlobalId(CAMPAIGN_TEMPLATE, welcome.id) },
        { type: StepType.WAIT, waitDays: 3 },
        { type: StepType.WAIT, untilWeekdays: [Weekday.TUESDAY], untilTime: '09:30' },
        { type: StepType.SEND_EMAIL, templateId: toGlobalId(CAMPAIGN_TEMPLATE, followUp.id) },
        { type: StepType.WAIT, waitDays: 2 },
        {
          type: StepType.BRANCH,
          branchOn: BranchOn.RULES,
          rules: { field: 'lifecycleStage', op: 'eq', value: 'LEAD' },
          elseStep: 7,
        },
        { type: StepType.CREATE_TASK, taskSubject: 'Call the lead who got the welcome drip', taskDueInDays: 2 },
      ],
    });
    const leads = await validateContactRules(ctx, {
      all: [
        { field: 'lifecycleStage', op: 'eq', value: 'LEAD' },
        { field: 'doNotEmail', op: 'eq', value: false },
      ],
    });
    await enroll(ctx, sequence, await contactIdsMatching(ctx, leads, { limit: 2 }), EnrollmentSource.MANUAL, new Date(), false);
  });
}
