import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { UserError } from '../../graphql/errors.js';
import { Connection, ConnectionArgs } from '../../graphql/relay.js';

export enum EmailMessageStatus {
  QUEUED = 'queued',
  SENT = 'sent',
  FAILED = 'failed',
}
registerEnumType(EmailMessageStatus, {
  name: 'EmailMessageStatus',
  description: 'QUEUED: waiting for (another) delivery attempt; SENT: accepted by the SMTP server; FAILED: given up on.',
});

@ObjectType('EmailTemplate', {
  description:
    'A transactional email template: Liquid with merge fields (`{{ contact.firstName }}`, `{{ company.custom.tier }}`, `{{ data.orderId }}`…).',
})
export class EmailTemplateNode {
  rawId!: string;

  @Field(() => ID) id!: string;
  @Field({ description: 'The slug callers name it by, unique in the workspace.' }) key!: string;
  @Field() name!: string;
  @Field() subject!: string;
  @Field() html!: string;
  @Field(() => String, { nullable: true, description: 'Null: the text part is derived from the rendered HTML.' }) text!: string | null;
  @Field(() => [String], { description: 'The `data.*` variables senders supply.' }) dataVariables!: string[];
  @Field(() => Int) version!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

@ObjectType('EmailMessage', { description: 'One email as rendered and sent (or to be sent).' })
export class EmailMessageNode {
  rawId!: string;
  rawContactId!: string | null;

  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true }) templateId!: string | null;
  @Field() to!: string;
  @Field(() => [String]) cc!: string[];
  @Field() from!: string;
  @Field() subject!: string;
  @Field() html!: string;
  @Field() text!: string;
  @Field(() => ID, { nullable: true }) contactId!: string | null;
  @Field(() => EmailMessageStatus) status!: EmailMessageStatus;
  @Field(() => Int, { description: 'Delivery attempts so far.' }) attempts!: number;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => String, { nullable: true, description: 'The Message-ID the SMTP server accepted.' }) providerMessageId!: string | null;
  @Field(() => Date, { nullable: true }) sentAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'What caused it, e.g. `automation:<runId>`; null for a member’s own send.' })
  source!: string | null;
  @Field() createdAt!: Date;
}

@ObjectType('EmailPreview', { description: 'A template rendered for a recipient, without sending or writing anything.' })
export class EmailPreviewNode {
  @Field(() => String, { nullable: true }) to!: string | null;
  @Field() subject!: string;
  @Field() html!: string;
  @Field() text!: string;
}

export const EmailTemplateConnection = Connection(EmailTemplateNode, 'EmailTemplate');
export const EmailMessageConnection = Connection(EmailMessageNode, 'EmailMessage');

@InputType()
export class CreateEmailTemplateInput {
  @Field({ description: 'Lower-case letters, digits and dashes (e.g. `welcome`); unique in the workspace.' }) key!: string;
  @Field() name!: string;
  @Field({ description: 'Liquid, one line.' }) subject!: string;
  @Field({ description: 'Liquid; merge values are HTML-escaped.' }) html!: string;
  @Field(() => String, { nullable: true, description: 'Liquid; omitted: derived from the rendered HTML.' }) text?: string | null;
  @Field(() => [String], { nullable: true, description: 'The `data.*` variables senders supply.' }) dataVariables?: string[] | null;
}

@InputType()
export class UpdateEmailTemplateInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true, description: 'The version edited: a newer stored one is a CONFLICT.' }) version?: number | null;
  @Field(() => String, { nullable: true }) key?: string | null;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) subject?: string | null;
  @Field(() => String, { nullable: true }) html?: string | null;
  @Field(() => String, { nullable: true, description: 'null: derive the text part from the HTML again.' }) text?: string | null;
  @Field(() => [String], { nullable: true }) dataVariables?: string[] | null;
}

@InputType()
export class PreviewEmailTemplateInput {
  @Field(() => ID, { nullable: true, description: 'A stored template; or give `subject` and `html` (and `text`).' }) templateId?:
    | string
    | null;
  @Field(() => String, { nullable: true }) subject?: string | null;
  @Field(() => String, { nullable: true }) html?: string | null;
  @Field(() => String, { nullable: true }) text?: string | null;
  @Field(() => ID, { nullable: true, description: 'The contact whose fields fill the merge fields.' }) contactId?: string | null;
  @Field(() => String, { nullable: true, description: 'Default: the contact’s primary email.' }) to?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Values of the `data.*` variables.' }) data?: Record<string, unknown> | null;
}

@InputType()
export class SendEmailInput {
  @Field(() => String, { nullable: true, description: 'Default: the contact’s primary email.' }) to?: string | null;
  @Field(() => [String], { nullable: true }) cc?: string[] | null;
  @Field(() => ID, { nullable: true }) templateId?: string | null;
  @Field(() => String, { nullable: true }) templateKey?: string | null;
  @Field(() => String, { nullable: true, description: 'Ad-hoc content instead of a template: subject, html (and text).' }) subject?:
    | string
    | null;
  @Field(() => String, { nullable: true }) html?: string | null;
  @Field(() => String, { nullable: true }) text?: string | null;
  @Field(() => ID, { nullable: true, description: 'The contact it is sent to: merge fields, timeline entry.' }) contactId?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Values of the template’s `data.*` variables.' }) data?: Record<
    string,
    unknown
  > | null;
}

@ArgsType()
export class EmailMessagesArgs extends ConnectionArgs {
  @Field(() => ID, { nullable: true }) contactId?: string | null;
  @Field(() => [EmailMessageStatus], { nullable: true }) status?: EmailMessageStatus[] | null;
}

@ObjectType()
export class EmailTemplatePayload {
  @Field(() => EmailTemplateNode, { nullable: true }) template?: EmailTemplateNode | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class PreviewEmailTemplatePayload {
  @Field(() => EmailPreviewNode, { nullable: true }) preview?: EmailPreviewNode | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class SendEmailPayload {
  @Field(() => EmailMessageNode, { nullable: true }) message?: EmailMessageNode | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
