import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { UserError } from '../../graphql/errors.js';
import { Connection } from '../../graphql/relay.js';

export enum AutomationRunStatus {
  QUEUED = 'queued',
  RUNNING = 'running',
  WAITING = 'waiting',
  SUCCEEDED = 'succeeded',
  FAILED = 'failed',
  STOPPED = 'stopped',
}
registerEnumType(AutomationRunStatus, {
  name: 'AutomationRunStatus',
  description:
    'QUEUED: started, its job not run yet; WAITING: at a wait step until `resumeAt`; FAILED: a step failed (see its error); STOPPED: the loop limit, or the record went away.',
});

@ObjectType('AutomationRule', {
  description:
    'An automation rule: when its trigger fires and its conditions hold, its actions run as its owner. `definition` is JSON: `{ trigger, conditions, actions }` (docs: src/core/automation/README.md; `automationCatalog` lists what it may name). Needs `automation:manage`.',
})
export class AutomationRuleNode {
  rawId!: string;
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field({ description: 'A disabled rule starts no runs; runs in flight finish.' }) enabled!: boolean;
  @Field(() => Int, { description: 'Optimistic lock: pass it back to `updateAutomationRule`.' }) version!: number;
  @Field(() => Int, { description: 'The definition’s version new runs start on (each change of the definition adds one).' })
  definitionVersion!: number;
  @Field(() => GraphQLJSON) definition!: unknown;
  @Field(() => ID, {
    nullable: true,
    description: 'Whose permissions the actions write with: who saved the current definition (null: the system).',
  })
  ownerId!: string | null;
  @Field(() => String, { nullable: true, description: '`<plugin>/<name>` of a default rule a module contributed.' }) source!: string | null;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

@ObjectType('AutomationRuleVersion', { description: 'One version of a rule’s definition; never changed once saved.' })
export class AutomationRuleVersionNode {
  @Field(() => Int) version!: number;
  @Field(() => GraphQLJSON) definition!: unknown;
  @Field(() => ID, { nullable: true }) createdById!: string | null;
  @Field() createdAt!: Date;
}

@ObjectType('AutomationRunStep', { description: 'One step of a run: its input as given, its outcome, output or error.' })
export class AutomationRunStepNode {
  @Field(() => Int, { nullable: true, description: 'Order within the run (null in a test run).' }) stepNo!: number | null;
  @Field({ description: 'Where the step sits in the definition: `actions[1].actions[0]`.' }) path!: string;
  @Field({ description: 'The action type, `branch` or `wait`.' }) action!: string;
  @Field({ description: '`succeeded`, `failed`, `waiting` or `skipped` (a wait already over).' }) outcome!: string;
  @Field(() => GraphQLJSON, { nullable: true }) input!: unknown;
  @Field(() => GraphQLJSON, { nullable: true }) output!: unknown;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field() startedAt!: Date;
  @Field(() => Int) durationMs!: number;
}

@ObjectType('AutomationRun', { description: 'One run of a rule, with the version it runs on and every step it took.' })
export class AutomationRunNode {
  rawId!: string;
  @Field(() => ID) id!: string;
  @Field(() => ID) ruleId!: string;
  @Field(() => Int) ruleVersion!: number;
  @Field(() => AutomationRunStatus) status!: AutomationRunStatus;
  @Field(() => GraphQLJSON, { description: '`{ kind: event | date | schedule, eventId?, eventType?, … }`.' }) trigger!: unknown;
  @Field(() => ID, { nullable: true, description: 'The record the run is about (global id).' }) recordId!: string | null;
  @Field(() => GraphQLJSON, { description: 'The chain of runs that led here, oldest first, this one last (`[{ ruleId, runId }]`).' })
  causation!: unknown;
  @Field(() => Date, { nullable: true }) resumeAt!: Date | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) startedAt!: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
}
export const AutomationRuleConnection = Connection(AutomationRuleNode, 'AutomationRule');
export const AutomationRunConnection = Connection(AutomationRunNode, 'AutomationRun');

@ObjectType('AutomationTestResult', { description: 'What a rule did on a record in a test run (everything rolled back).' })
export class AutomationTestResultNode {
  @Field({ description: 'Whether the rule’s conditions hold on the record (when not, no action ran).' }) conditionsMet!: boolean;
  @Field(() => AutomationRunStatus) status!: AutomationRunStatus;
  @Field(() => Date, { nullable: true, description: 'A wait stopped the test here: the run would resume then.' }) resumeAt!: Date | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => [AutomationRunStepNode]) steps!: AutomationRunStepNode[];
}

@ObjectType('AutomationField', { description: 'A field rules may name, with the operators its kind takes.' })
export class AutomationFieldNode {
  @Field({ description: '`lifecycleStage`, `custom.tier`, `company.industry`, `tags`.' }) path!: string;
  @Field({ description: 'string, number, date, boolean, enum, user, record, tags, idList.' }) kind!: string;
  @Field(() => [String], { nullable: true }) values!: string[] | null;
  @Field(() => [String]) operators!: string[];
  @Field({ description: 'Whether `updateFields` can set it.' }) writable!: boolean;
  @Field(() => String, { nullable: true }) label!: string | null;
}

@ObjectType('AutomationRecordType')
export class AutomationRecordTypeNode {
  @Field() name!: string;
  @Field(() => [AutomationFieldNode], { description: 'Fields visible to the caller (hidden ones are left out).' })
  fields!: AutomationFieldNode[];
}

@ObjectType('AutomationActionType')
export class AutomationActionTypeNode {
  @Field() type!: string;
  @Field() description!: string;
  @Field(() => [String], { nullable: true, description: 'The record types it works on (null: any).' }) recordTypes!: string[] | null;
  @Field({ description: '`kernel` or the module that contributes it.' }) module!: string;
}

@ObjectType('AutomationCatalog', {
  description: 'What rule definitions may name: trigger kinds, event types, record types and fields, actions.',
})
export class AutomationCatalogNode {
  @Field(() => [String]) triggers!: string[];
  @Field(() => [String], { description: 'Event types an `event` trigger may name.' }) events!: string[];
  @Field(() => [AutomationRecordTypeNode]) recordTypes!: AutomationRecordTypeNode[];
  @Field(() => [AutomationActionTypeNode]) actions!: AutomationActionTypeNode[];
}

@InputType()
export class CreateAutomationRuleInput {
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Default true.' }) enabled?: boolean | null;
  @Field(() => GraphQLJSON, { description: '`{ trigger, conditions?, actions }`.' }) definition!: unknown;
}

@InputType()
export class UpdateAutomationRuleInput {
  @Field(() => ID) id!: string;
  @Field(() => Int) version!: number;
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean;
  @Field(() => GraphQLJSON, { nullable: true, description: 'A new definition: saved as a new version.' }) definition?: unknown;
}

@InputType()
export class TestAutomationRuleInput {
  @Field(() => ID, { nullable: true, description: 'A saved rule (its current definition) …' }) ruleId?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: '… or a definition not saved yet.' }) definition?: unknown;
  @Field(() => ID, { nullable: true, description: 'The record to run it on (for rules about records).' }) recordId?: string | null;
}

@ObjectType()
export class AutomationRulePayload {
  @Field(() => AutomationRuleNode, { nullable: true }) rule?: AutomationRuleNode | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class TestAutomationRulePayload {
  @Field(() => AutomationTestResultNode, { nullable: true }) result?: AutomationTestResultNode | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
