import { defineEvent } from '../../../src/sdk/index.js';
import type { MemberSource } from './entities.js';

/** A contact entered or left a segment (raw uuids). `source`: a person's change, a list import or the segment's rules. */
export interface SegmentMembershipChanged {
  segmentId: string;
  segmentName: string;
  contactId: string;
  source: MemberSource;
}

export const segmentEntered = defineEvent<SegmentMembershipChanged>('segment.entered');
export const segmentExited = defineEvent<SegmentMembershipChanged>('segment.exited');

export const SEGMENT_EVENTS = [segmentEntered, segmentExited];
