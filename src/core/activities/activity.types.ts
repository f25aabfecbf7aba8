import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection, Node } from '../../graphql/relay.js';
import { UserError } from '../../graphql/errors.js';
import { IdFilter, SortDirection } from '../shared/filters.js';
import { TimelineEntry } from '../timeline/timeline.types.js';
import { ActivityDirection, ActivityType, TaskPriority } from './activity.entity.js';

registerEnumType(ActivityType, { name: 'ActivityType' });
registerEnumType(ActivityDirection, { name: 'ActivityDirection' });
registerEnumType(TaskPriority, { name: 'TaskPriority' });

@ObjectType({ description: 'A record an activity is logged on.' })
export class ActivityTarget {
  @Field({ description: 'GraphQL type of the target, e.g. Contact, Company, Deal.' }) targetType!: string;
  @Field(() => ID, { description: 'Global id of the target.' }) targetId!: string;
  /** uuid of the target, for loading it. */
  rawId!: string;
}

@ObjectType('Activity', { implements: [Node, TimelineEntry], description: 'A call, email, meeting, note or task.' })
export class ActivityNode {
  @Field(() => ID) id!: string;
  @Field(() => ActivityType) type!: ActivityType;
  @Field() entryType!: string;
  @Field() subject!: string;
  @Field(() => String, { nullable: true }) body?: string | null;
  @Field() occurredAt!: Date;
  @Field(() => Int, { nullable: true }) durationSeconds?: number | null;
  @Field(() => ActivityDirection, { nullable: true }) direction?: ActivityDirection | null;
  @Field(() => String, { nullable: true }) outcome?: string | null;
  @Field(() => Date, { nullable: true, description: 'Tasks: when the task is due.' }) dueAt?: Date | null;
  @Field(() => TaskPriority, { nullable: true, description: 'Tasks only.' }) priority?: TaskPriority | null;
  @Field(() => Date, { nullable: true, description: 'Tasks: when the task was completed; null while open.' }) completedAt?: Date | null;
  @Field(() => Int) version!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
  @Field(() => Date, { nullable: true, description: 'Set while the activity is deleted (restore with restoreActivity).' })
  deletedAt?: Date | null;
}

export const ActivityConnection = Connection(ActivityNode, 'Activity');

@ObjectType({
  description:
    'The latest activities of one record (newest first), loaded for many records in one query. Not a cursor connection: page further with `timeline`.',
})
export class RecentActivities {
  @Field(() => [ActivityNode]) nodes!: unknown[];
  @Field({ description: 'True when the record has more activities of the asked types than returned.' }) hasMore!: boolean;
}

@InputType()
export class LogActivityInput {
  @Field(() => ActivityType) type!: ActivityType;
  @Field() subject!: string;
  @Field(() => String, { nullable: true }) body?: string | null;
  @Field(() => Date, { nullable: true, description: 'Defaults to now.' }) occurredAt?: Date | null;
  @Field(() => Int, { nullable: true }) durationSeconds?: number | null;
  @Field(() => ActivityDirection, { nullable: true }) direction?: ActivityDirection | null;
  @Field(() => String, { nullable: true }) outcome?: string | null;
  @Field(() => Date, { nullable: true, description: 'Tasks only.' }) dueAt?: Date | null;
  @Field(() => ID, { nullable: true, description: 'A member of the workspace.' }) assigneeId?: string | null;
  @Field(() => TaskPriority, { nullable: true, description: 'Tasks only.' }) priority?: TaskPriority | null;
  @Field(() => [ID], {
    description: 'Global ids of 1 to 50 records (contacts, companies, plugin records) whose timelines show the activity.',
  })
  targetIds!: string[];
  @Field(() => String, { nullable: true, description: 'Repeating a log with the same key returns the first result.' })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Only the given fields change; `null` clears a field. `targetIds` replaces all targets.' })
export class UpdateActivityInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { description: 'The version you edited; a newer stored version is a CONFLICT.' }) version!: number;
  @Field(() => ActivityType, { nullable: true }) type?: ActivityType;
  @Field(() => String, { nullable: true }) subject?: string;
  @Field(() => String, { nullable: true }) body?: string | null;
  @Field(() => Date, { nullable: true }) occurredAt?: Date;
  @Field(() => Int, { nullable: true }) durationSeconds?: number | null;
  @Field(() => ActivityDirection, { nullable: true }) direction?: ActivityDirection | null;
  @Field(() => String, { nullable: true }) outcome?: string | null;
  @Field(() => Date, { nullable: true }) dueAt?: Date | null;
  @Field(() => ID, { nullable: true }) assigneeId?: string | null;
  @Field(() => TaskPriority, { nullable: true }) priority?: TaskPriority | null;
  @Field(() => [ID], { nullable: true }) targetIds?: string[];
}

@InputType({ description: 'Conditions on activities; all given conditions must hold.' })
export class ActivityFilter {
  @Field(() => [ActivityType], { nullable: true }) type?: ActivityType[];
  @Field(() => IdFilter, { nullable: true }) assignee?: IdFilter;
  @Field(() => Date, { nullable: true, description: 'Due strictly before this instant.' }) dueBefore?: Date;
  @Field(() => Date, { nullable: true, description: 'Due at or after this instant.' }) dueAfter?: Date;
  @Field(() => Boolean, { nullable: true, description: 'Tasks completed (true) or open (false).' }) completed?: boolean;
  @Field(() => Boolean, { nullable: true, description: 'Open tasks past their due date (true), or everything else (false).' })
  overdue?: boolean;
}

export enum ActivitySortField {
  OCCURRED_AT = 'occurredAt',
  DUE_AT = 'dueAt',
  CREATED_AT = 'createdAt',
}
registerEnumType(ActivitySortField, { name: 'ActivitySortField' });

@InputType()
export class ActivityOrder {
  @Field(() => ActivitySortField) field!: ActivitySortField;
  @Field(() => SortDirection, { defaultValue: SortDirection.ASC }) direction!: SortDirection;
}

@ObjectType()
export class ActivityPayload {
  @Field(() => ActivityNode, { nullable: true }) activity?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}
