import { defineEvent, type AutomationContribution } from '../../../src/sdk/index.js';
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

/** Automation `eventRecords` for events whose payload names a `contactId`: rules they trigger are about that contact. */
export function aboutTheirContact(events: readonly { type: string }[]): NonNullable<AutomationContribution['eventRecords']> {
  return events.map((event) => ({
    event: event.type,
    recordType: 'Contact',
    idOf: (payload: Record<string, unknown>) => (typeof payload.contactId === 'string' ? payload.contactId : null),
  }));
}
