import juice from 'juice';
import mjml2html from 'mjml';
import { InputRejected, renderEmailTemplate, userError, type UserError } from '../../../src/sdk/index.js';
import type { RequestContext } from '../../../src/sdk/index.js';
import { TemplateFormat } from './entities.js';

/**
 * The `data.*` merge fields every campaign message gets besides the kernel's (`contact.*`, `company.*`, `owner.*`,
 * `workspace.name`, `recipient.email`): `{{ data.unsubscribeUrl }}` (the recipient's signed unsubscribe page) and
 * `{{ data.campaignName }}`. Templates are checked against exactly these.
 */
export const CAMPAIGN_DATA_VARIABLES = ['unsubscribeUrl', 'campaignName'] as const;

/** Placeholder values for checking a template (no recipient yet). */
export const sampleCampaignData = (): Record<string, string> => ({ unsubscribeUrl: 'https://example.invalid/u', campaignName: 'Campaign' });

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The preheader (inbox preview text) as the body's hidden first element. */
export function withPreheader(html: string, preheader: string | null | undefined): string {
  if (!preheader) return html;
  const hidden = `<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all">${escapeHtml(preheader)}</div>`;
  const body = /<body\b[^>]*>/i.exec(html);
  if (!body) return hidden + html;
  const at = body.index + body[0].length;
  return html.slice(0, at) + hidden + html.slice(at);
}

interface MjmlIssue {
  line?: number;
  message?: string;
}

/** MJML compiled (strict validation: every problem a user error on `source`) or HTML as given; CSS inlined for mail clients. */
export async function compileSource(format: TemplateFormat, source: string): Promise<string> {
  let html = source;
  if (format === TemplateFormat.MJML) {
    try {
      const result = await mjml2html(source, { validationLevel: 'strict' });
      html = result.html;
    } catch (error) {
      const issues = ((error as { details?: MjmlIssue[] }).details ?? []).slice(0, 20);
      if (!issues.length)
        throw InputRejected.one('source', `is not valid MJML: ${String((error as Error).message ?? error).slice(0, 300)}`);
      throw new InputRejected(issues.map((i) => userError('source', `MJML line ${i.line ?? '?'}: ${i.message ?? 'invalid'}`)));
    }
  }
  try {
    return juice(html, { preserveImportant: true });
  } catch (error) {
    throw InputRejected.one('source', `CSS could not be inlined: ${String((error as Error).message ?? error).slice(0, 300)}`);
  }
}

const FIELD_OF_PART: Record<string, string> = { html: 'source', text: 'textBody', subject: 'subject' };

/**
 * Checks the compiled template's merge fields with the kernel's renderer (syntax, unknown fields, undeclared data):
 * each problem a user error on the template's own field (`subject`, `source`, `textBody`).
 */
export async function checkMergeFields(
  ctx: RequestContext,
  content: { subject: string; html: string; text: string | null },
): Promise<void> {
  try {
    await renderEmailTemplate(ctx.em, { workspaceId: ctx.principal.workspaceId!, content, data: sampleCampaignData() });
  } catch (error) {
    if (!(error instanceof InputRejected)) throw error;
    throw new InputRejected(
      error.errors.map(
        (e): UserError => userError([FIELD_OF_PART[e.field[0] ?? ''] ?? e.field[0] ?? 'source', ...e.field.slice(1)], e.message, e.code),
      ),
    );
  }
}
