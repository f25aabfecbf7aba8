import {
  ErrorCode,
  InputRejected,
  defineAutomationAction,
  requires,
  signedIn,
  sql,
  subscribe,
  z,
  type RuleDeclarations,
} from '../../../src/sdk/index.js';
import { CAMPAIGN_MANAGE, CAMPAIGN_READ } from '../permissions.js';
import { segmentEntered } from '../segments/events.js';
import { CampaignSequence, EnrollmentSource, SequenceStatus, sequenceEntities } from './entities.js';
import { ExitReason, enroll, exitEnrollments, sequenceJobs } from './runner.js';
import { CampaignSequenceEnrollmentResolver, CampaignSequenceResolver } from './sequence.resolver.js';
import { liveSequence } from './sequence.service.js';

export { sequenceEntities, sequenceJobs };
export const sequenceResolvers = [CampaignSequenceResolver, CampaignSequenceEnrollmentResolver];

/**
 * A contact entering a segment is enrolled in the live, unarchived sequences triggered by that segment (a paused one
 * holds the enrollment), and exits the active enrollments of sequences that name it as their exit segment.
 */
export const sequenceSegmentEntry = subscribe(segmentEntered, {
  name: 'sequence-segment-entry',
  idempotent: true,
  async handle(event, context) {
    const { segmentId, contactId } = event.payload;
    const now = new Date();
    await exitEnrollments(
      context.em,
      context.workspaceId,
      sql`contact_id = ${contactId} and sequence_id in (select id from campaign_sequence
        where workspace_id = ${context.workspaceId} and exit_on->>'enteredSegmentId' = ${segmentId})`,
      ExitReason.ENTERED_SEGMENT,
      now,
    );
    const sequences = await context.em.find(
      CampaignSequence,
      {
        workspaceId: context.workspaceId,
        triggerSegmentId: segmentId,
        deletedAt: null,
        status: { $in: [SequenceStatus.ACTIVE, SequenceStatus.PAUSED] },
      },
      { filters: false },
    );
    for (const sequence of sequences) {
      if (sequence.exitOn.enteredSegmentId === segmentId) continue;
      await enroll(context, sequence, [contactId], EnrollmentSource.SEGMENT, now);
    }
  },
});
export const sequenceSubscribers = [sequenceSegmentEntry];

/** Automation: "enroll the contact in sequence X" (`campaigns.enrollInSequence`). */
export const enrollInSequenceAction = defineAutomationAction<{ sequenceId: string }>({
  type: 'campaigns.enrollInSequence',
  description: 'Enrolls the contact in a campaign sequence (nothing happens if they are in it already).',
  recordTypes: ['Contact'],
  params: z.strictObject({ sequenceId: z.string().max(200) }),
  async validate({ params, ctx, path }) {
    const sequence = await liveSequence(ctx, params.sequenceId, `${path}.sequenceId`);
    if (sequence.status === SequenceStatus.ARCHIVED)
      throw InputRejected.one(`${path}.sequenceId`.split('.'), 'the sequence is archived', ErrorCode.CONFLICT);
  },
  async run({ ctx, record, params, now }) {
    if (!record) throw InputRejected.one('sequenceId', 'this step needs a contact');
    const sequence = await liveSequence(ctx, params.sequenceId, 'sequenceId');
    if (sequence.status === SequenceStatus.ARCHIVED) throw InputRejected.one('sequenceId', 'the sequence is archived', ErrorCode.CONFLICT);
    const results = await enroll(ctx, sequence, [record.id], EnrollmentSource.AUTOMATION, now);
    return { result: results.get(record.id)?.result ?? null };
  },
});

const manage = requires(CAMPAIGN_MANAGE);
const read = requires(CAMPAIGN_READ);
export const sequenceRules: RuleDeclarations = {
  Query: { campaignSequences: read, campaignSequence: read },
  Mutation: {
    createCampaignSequence: manage,
    updateCampaignSequence: manage,
    pauseCampaignSequence: manage,
    resumeCampaignSequence: manage,
    archiveCampaignSequence: manage,
    deleteCampaignSequence: manage,
    enrollInSequence: manage,
  },
  types: {
    // reachable only through the guarded root fields above
    CampaignSequence: { '*': signedIn },
    CampaignSequenceStep: { '*': signedIn },
    CampaignSequenceExitOn: { '*': signedIn },
    CampaignSequenceEnrollmentCounts: { '*': signedIn },
    CampaignSequenceEnrollment: { '*': signedIn, contact: requires('contact:read') },
    CampaignSequenceEnrollmentEdge: { '*': signedIn },
    CampaignSequenceEnrollmentConnection: { '*': signedIn },
    CampaignSequenceStepRun: { '*': signedIn },
    CampaignSequencePayload: { '*': signedIn },
    DeleteCampaignSequencePayload: { '*': signedIn },
    CampaignSequenceEnrollResult: { '*': signedIn },
    EnrollInSequencePayload: { '*': signedIn },
  },
};
