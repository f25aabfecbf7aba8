import { pluginRouteUrl, signToken, sql, type PluginContext, type RequestContext } from '../../../src/sdk/index.js';
import { PLUGIN_ID } from '../permissions.js';

/** Token purposes of the plugin's public routes (tracking/routes.ts). */
export const TOKEN_PURPOSE = { open: 'campaigns.open', click: 'campaigns.click', unsubscribe: 'campaigns.unsubscribe' } as const;

/** Where a signed token points: `<workspace id>:<send id>[:<link index>]`. */
export interface TokenTarget {
  workspaceId: string;
  sendId: string;
  linkIndex: number | null;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const TARGET = new RegExp(`^(${UUID}):(${UUID})(?::(\\d{1,4}))?$`);

export function parseTokenTarget(data: string | null): TokenTarget | null {
  const m = TARGET.exec(data ?? '');
  return m ? { workspaceId: m[1]!, sendId: m[2]!, linkIndex: m[3] === undefined ? null : Number(m[3]) } : null;
}

/** A recipient's signed links: unsubscribe page (also `List-Unsubscribe`), open pixel, and one redirect per link. */
export interface RecipientLinks {
  unsubscribeUrl: string;
  openUrl: string;
  clickUrl(linkIndex: number): string;
}

type Holder = PluginContext<unknown> | RequestContext;

export function recipientLinks(context: Holder, workspaceId: string, sendId: string): RecipientLinks {
  const url = (path: string, purpose: string, data: string) =>
    pluginRouteUrl(context, PLUGIN_ID, `${path}/${signToken(context, purpose, data)}`);
  const target = `${workspaceId}:${sendId}`;
  return {
    unsubscribeUrl: url('/u', TOKEN_PURPOSE.unsubscribe, target),
    openUrl: url('/t/o', TOKEN_PURPOSE.open, target),
    clickUrl: (linkIndex) => url('/t/c', TOKEN_PURPOSE.click, `${target}:${linkIndex}`),
  };
}

// ---- links of a campaign's HTML ----

/** An `<a … href="…">` (the compiled templates quote attributes; single quotes are read too). */
const ANCHOR_HREF = /(<a\b[^>]*?\shref\s*=\s*)(?:"([^"]*)"|'([^']*)')/gi;
const ENTITY = /&(?:amp|quot|#39|#x27|lt|gt);/g;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&#x27;': "'", '&lt;': '<', '&gt;': '>' };
const decode = (attribute: string) => attribute.replace(ENTITY, (e) => ENTITIES[e] ?? e);
const encode = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** At most this many distinct links of one campaign are tracked; further links are sent as they are. */
export const MAX_TRACKED_LINKS = 200;

/**
 * The links a campaign tracks, in order of first appearance: absolute http(s) URLs written in the template. Links
 * holding merge fields (`{{ … }}`, `{% … %}` — the unsubscribe link, per-recipient URLs) are sent as rendered.
 */
export function trackableLinks(html: string): string[] {
  const urls = new Set<string>();
  for (const m of html.matchAll(ANCHOR_HREF)) {
    const url = decode((m[2] ?? m[3] ?? '').trim());
    if (/^https?:\/\/[^\s]+$/i.test(url) && !/\{[{%]/.test(url) && url.length <= 2000) urls.add(url);
    if (urls.size >= MAX_TRACKED_LINKS) break;
  }
  return [...urls];
}

/** Records the campaign's trackable links (`campaign_link`): the only places its click redirects lead to. */
export async function recordCampaignLinks(em: RequestContext['em'], workspaceId: string, campaignId: string, html: string): Promise<void> {
  const links = trackableLinks(html);
  if (!links.length) return;
  const rows = links.map((url, index) => ({ index, url }));
  const q = sql`insert into campaign_link (campaign_id, link_index, workspace_id, url)
    select ${campaignId}, l.index, ${workspaceId}, l.url from jsonb_to_recordset(cast(${JSON.stringify(rows)} as jsonb)) as l(index int, url text)
    on conflict (campaign_id, link_index) do nothing`;
  await em.execute(q.text, q.params, 'run');
}

/** The campaign's recorded links: URL → link index. */
export async function campaignLinkIndex(em: RequestContext['em'], workspaceId: string, campaignId: string): Promise<Map<string, number>> {
  const q = sql`select link_index, url from campaign_link where workspace_id = ${workspaceId} and campaign_id = ${campaignId}`;
  const rows = await em.execute<{ link_index: number; url: string }[]>(q.text, q.params);
  return new Map(rows.map((r) => [r.url, Number(r.link_index)]));
}

const PIXEL_STYLE = 'display:block;width:1px;height:1px;border:0;margin:0;padding:0';

/**
 * A recipient's final HTML: each recorded link's href replaced by its signed redirect (when click tracking is on) and
 * the open pixel added at the end of the body (when open tracking is on).
 */
export function trackHtml(
  html: string,
  links: ReadonlyMap<string, number>,
  recipient: RecipientLinks,
  tracking: { opens: boolean; clicks: boolean },
): string {
  let out = html;
  if (tracking.clicks && links.size) {
    out = out.replace(ANCHOR_HREF, (whole, start: string, double?: string, single?: string) => {
      const index = links.get(decode((double ?? single ?? '').trim()));
      return index === undefined ? whole : `${start}"${encode(recipient.clickUrl(index))}"`;
    });
  }
  if (tracking.opens) {
    const pixel = `<img src="${encode(recipient.openUrl)}" width="1" height="1" alt="" style="${PIXEL_STYLE}" />`;
    const close = out.search(/<\/body\s*>/i);
    out = close >= 0 ? `${out.slice(0, close)}${pixel}${out.slice(close)}` : `${out}${pixel}`;
  }
  return out;
}
