import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node, UserError } from '../../../src/sdk/index.js';
import { TemplateFormat } from './entities.js';

registerEnumType(TemplateFormat, {
  name: 'CampaignTemplateFormat',
  description: 'HTML as written, or MJML compiled to HTML (strict validation) when saved.',
});

@ObjectType('CampaignTemplate', { implements: Node, description: 'A campaign email template (campaigns).' })
export class CampaignTemplateNode extends Node {
  @Field() name!: string;
  @Field({ description: 'Liquid, with merge fields (see the campaigns README).' }) subject!: string;
  @Field(() => String, { nullable: true, description: 'Inbox preview text: the hidden first element of the body.' }) preheader?:
    | string
    | null;
  @Field(() => TemplateFormat) format!: TemplateFormat;
  @Field({ description: 'The HTML or MJML as written.' }) source!: string;
  @Field(() => String, { nullable: true, description: 'The text part; null: derived from the rendered HTML.' }) textBody?: string | null;
  @Field({ description: 'The HTML sent (MJML compiled, CSS inlined, preheader first), before merge fields are rendered.' })
  compiledHtml!: string;
  @Field(() => Int) version!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

@InputType()
export class CreateCampaignTemplateInput {
  @Field() name!: string;
  @Field() subject!: string;
  @Field(() => String, { nullable: true }) preheader?: string | null;
  @Field(() => TemplateFormat, { defaultValue: TemplateFormat.HTML }) format!: TemplateFormat;
  @Field() source!: string;
  @Field(() => String, { nullable: true }) textBody?: string | null;
}

@InputType({ description: 'Only the given fields change; `textBody: null` derives the text part again.' })
export class UpdateCampaignTemplateInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true }) version?: number | null;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) subject?: string | null;
  @Field(() => String, { nullable: true }) preheader?: string | null;
  @Field(() => TemplateFormat, { nullable: true }) format?: TemplateFormat | null;
  @Field(() => String, { nullable: true }) source?: string | null;
  @Field(() => String, { nullable: true }) textBody?: string | null;
}

@InputType()
export class DeleteCampaignTemplateInput {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true }) version?: number | null;
}

@InputType()
export class PreviewCampaignTemplateInput {
  @Field(() => ID) id!: string;
  @Field(() => ID) contactId!: string;
}

@ObjectType()
export class CampaignTemplatePayload {
  @Field(() => CampaignTemplateNode, { nullable: true }) template?: unknown;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class DeleteCampaignTemplatePayload {
  @Field(() => ID, { nullable: true }) deletedId?: string | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType('CampaignTemplatePreview')
export class CampaignTemplatePreview {
  @Field(() => String, { nullable: true }) to?: string | null;
  @Field() subject!: string;
  @Field() html!: string;
  @Field() text!: string;
}

@ObjectType()
export class PreviewCampaignTemplatePayload {
  @Field(() => CampaignTemplatePreview, { nullable: true }) preview?: CampaignTemplatePreview | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}
