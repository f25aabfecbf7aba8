import {
  ErrorCode,
  InputRejected,
  contactOrReject,
  expectGlobalId,
  expectVersion,
  optionalText,
  parseInput,
  renderEmailTemplate,
  sql,
  trimmed,
  z,
  type RequestContext,
} from '../../../src/sdk/index.js';
import { CampaignTemplate, TemplateFormat } from './entities.js';
import { checkMergeFields, compileSource, sampleCampaignData, withPreheader } from './compile.js';

export const CAMPAIGN_TEMPLATE = 'CampaignTemplate';
const MAX_SOURCE = 512 * 1024;
const MAX_TEXT = 256 * 1024;

const nonEmpty = (max: number) => trimmed(max).pipe(z.string().min(1, { message: 'must not be empty' }));
const fields = {
  name: nonEmpty(200),
  subject: z
    .string()
    .max(1000, { message: 'must be at most 1000 characters' })
    .refine((s) => s.trim() !== '', { message: 'must not be empty' }),
  preheader: optionalText(500),
  format: z.enum(TemplateFormat),
  source: z
    .string()
    .max(MAX_SOURCE, { message: `must be at most ${MAX_SOURCE} characters` })
    .refine((s) => s.trim() !== '', { message: 'must not be empty' }),
  textBody: z
    .string()
    .max(MAX_TEXT, { message: `must be at most ${MAX_TEXT} characters` })
    .nullish(),
};
const createSchema = z.object(fields);
const updateSchema = z.object({
  version: z.number().int().nullish(),
  name: fields.name.nullish(),
  subject: fields.subject.nullish(),
  preheader: fields.preheader,
  format: fields.format.nullish(),
  source: fields.source.nullish(),
  textBody: fields.textBody,
});

export type TemplateFields = z.infer<typeof createSchema>;

const workspaceOf = (ctx: RequestContext) => ctx.principal.workspaceId!;

/** Compiles and checks a whole template; every problem is a user error, nothing is saved. */
async function compiled(ctx: RequestContext, t: TemplateFields): Promise<string> {
  const html = withPreheader(await compileSource(t.format, t.source), t.preheader);
  await checkMergeFields(ctx, { subject: t.subject, html, text: t.textBody ?? null });
  return html;
}

async function rejectTakenName(ctx: RequestContext, name: string, exceptId: string | null): Promise<void> {
  const q = sql`select 1 from campaign_template where workspace_id = ${workspaceOf(ctx)} and lower(name) = lower(${name})
    and deleted_at is null and id <> ${exceptId ?? '00000000-0000-0000-0000-000000000000'} limit 1`;
  if ((await ctx.em.execute(q.text, q.params)).length)
    throw InputRejected.one('name', `a template named "${name}" already exists`, ErrorCode.CONFLICT);
}

/** A live template of the caller's workspace by global id, else NOT_FOUND on `field`. */
export async function liveTemplate(ctx: RequestContext, globalId: string, field = 'id'): Promise<CampaignTemplate> {
  const id = expectGlobalId(globalId, CAMPAIGN_TEMPLATE, field);
  const template = await ctx.em.findOne(CampaignTemplate, { id, workspaceId: workspaceOf(ctx), deletedAt: null });
  if (!template) throw InputRejected.one(field, 'campaign template not found', ErrorCode.NOT_FOUND);
  return template;
}

export async function createTemplate(ctx: RequestContext, input: unknown): Promise<CampaignTemplate> {
  const t = parseInput(createSchema, input);
  const compiledHtml = await compiled(ctx, t);
  await rejectTakenName(ctx, t.name, null);
  const template = ctx.em.create(CampaignTemplate, {
    workspaceId: workspaceOf(ctx),
    name: t.name,
    subject: t.subject,
    preheader: t.preheader ?? null,
    format: t.format,
    source: t.source,
    textBody: t.textBody ?? null,
    compiledHtml,
    createdBy: ctx.principal.userId ?? null,
  } as CampaignTemplate);
  await ctx.em.flush();
  return template;
}

/** Changes the fields given (`textBody: null` derives the text part again); a stale `version` is CONFLICT. */
export async function updateTemplate(ctx: RequestContext, globalId: string, input: Record<string, unknown>): Promise<CampaignTemplate> {
  const template = await liveTemplate(ctx, globalId);
  const patch = parseInput(updateSchema, input);
  expectVersion(template.version, patch.version);
  const next: TemplateFields = {
    name: patch.name ?? template.name,
    subject: patch.subject ?? template.subject,
    preheader: patch.preheader === undefined ? (template.preheader ?? null) : patch.preheader,
    format: patch.format ?? template.format,
    source: patch.source ?? template.source,
    textBody: patch.textBody === undefined ? (template.textBody ?? null) : patch.textBody,
  };
  const compiledHtml = await compiled(ctx, next);
  if (next.name.toLowerCase() !== template.name.toLowerCase()) await rejectTakenName(ctx, next.name, template.id);
  Object.assign(template, { ...next, preheader: next.preheader ?? null, textBody: next.textBody ?? null, compiledHtml });
  await ctx.em.flush();
  return template;
}

/** Trashes a template; one a scheduled or sending campaign uses is refused (CONFLICT). */
export async function deleteTemplate(ctx: RequestContext, globalId: string, version: number | null | undefined): Promise<string> {
  const template = await liveTemplate(ctx, globalId);
  expectVersion(template.version, version);
  const q = sql`select 1 from campaign where workspace_id = ${workspaceOf(ctx)} and template_id = ${template.id}
    and status in ('scheduled', 'sending') and deleted_at is null limit 1`;
  if ((await ctx.em.execute(q.text, q.params)).length)
    throw InputRejected.one('id', 'a scheduled or sending campaign uses this template', ErrorCode.CONFLICT);
  template.deletedAt = new Date();
  await ctx.em.flush();
  return template.id;
}

/** The template rendered for one contact the caller may read (NOT_FOUND otherwise), placeholder campaign values. */
export async function previewTemplate(ctx: RequestContext, globalId: string, contactGlobalId: string) {
  const template = await liveTemplate(ctx, globalId);
  const contact = await contactOrReject(ctx, contactGlobalId, 'contactId');
  const rendered = await renderEmailTemplate(ctx.em, {
    workspaceId: workspaceOf(ctx),
    contactId: contact.id,
    content: { subject: template.subject, html: template.compiledHtml, text: template.textBody ?? null },
    data: sampleCampaignData(),
  });
  return { to: rendered.to, subject: rendered.subject, html: rendered.html, text: rendered.text };
}
