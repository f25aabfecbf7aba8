import type { PluginHttpRequest, PluginHttpResponse, PluginHttpRoute, PluginHttpTools } from '../../../src/sdk/index.js';
import { TOKEN_PURPOSE, parseTokenTarget, type TokenTarget } from '../sending/links.js';
import type { CampaignSettings } from '../settings.js';
import { linkOf, recordEngagement, sendOfTarget, type TrackingContext } from './engagement.js';
import { EngagementKind } from './entities.js';
import { unsubscribe } from './unsubscribe.js';

type Tools = PluginHttpTools<CampaignSettings>;

/** A transparent 1×1 GIF. */
export const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const pixel = (): PluginHttpResponse => ({ status: 200, headers: { 'content-type': 'image/gif' }, body: PIXEL });

const page = (status: number, title: string, body: string): PluginHttpResponse => ({
  status,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  },
  body: `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${title}</h1>${body}</body></html>`,
});
const invalidLink = () => page(404, 'This link is not valid', '<p>It may have been altered or copied incompletely.</p>');

function targetOf(tools: Tools, purpose: string, request: PluginHttpRequest): TokenTarget | null {
  return parseTokenTarget(tools.verifyToken(purpose, request.params.token));
}

const requestOf = (request: PluginHttpRequest) => ({
  method: request.method,
  userAgent: request.headers['user-agent'] ?? null,
  ip: request.ip || null,
});

/** The open pixel: always the GIF (an image that fails to load looks broken); recorded only for a verified token. */
async function open(request: PluginHttpRequest, tools: Tools): Promise<PluginHttpResponse> {
  const target = targetOf(tools, TOKEN_PURPOSE.open, request);
  if (target && target.linkIndex === null)
    await tools.inWorkspace(target.workspaceId, async (context: TrackingContext) => {
      if (!context.settings.tracking.opens) return;
      const send = await sendOfTarget(context, target);
      if (send)
        await recordEngagement(context, send, { kind: EngagementKind.OPEN, linkIndex: null, url: null, request: requestOf(request) });
    });
  return pixel();
}

/** A click: a 302 to the campaign's recorded link the token names — nothing else, ever (no open redirect). */
async function click(request: PluginHttpRequest, tools: Tools): Promise<PluginHttpResponse> {
  const target = targetOf(tools, TOKEN_PURPOSE.click, request);
  if (!target || target.linkIndex === null) return invalidLink();
  const linkIndex = target.linkIndex;
  const result = await tools.inWorkspace(target.workspaceId, async (context: TrackingContext) => {
    const send = await sendOfTarget(context, target);
    if (!send) return null;
    const url = await linkOf(context, send.campaign_id, linkIndex);
    if (url && context.settings.tracking.clicks)
      await recordEngagement(context, send, { kind: EngagementKind.CLICK, linkIndex, url, request: requestOf(request) });
    return url;
  });
  if (!result.ok || !result.value) return invalidLink();
  return { status: 302, headers: { location: result.value } };
}

/**
 * The unsubscribe page. GET shows a confirmation with a button (link scanners fetch every URL of a message: a GET
 * must not unsubscribe); POST — the button, or a mail client's RFC 8058 one-click `List-Unsubscribe=One-Click` —
 * unsubscribes.
 */
async function unsubscribePage(request: PluginHttpRequest, tools: Tools): Promise<PluginHttpResponse> {
  const target = targetOf(tools, TOKEN_PURPOSE.unsubscribe, request);
  if (!target) return invalidLink();
  return page(
    200,
    'Unsubscribe',
    '<p>Stop receiving marketing email from us at this address?</p><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>',
  );
}

async function unsubscribeNow(request: PluginHttpRequest, tools: Tools): Promise<PluginHttpResponse> {
  const target = targetOf(tools, TOKEN_PURPOSE.unsubscribe, request);
  if (!target || target.linkIndex !== null) return invalidLink();
  const result = await tools.inWorkspace(target.workspaceId, async (context: TrackingContext) => {
    const send = await sendOfTarget(context, target);
    return send ? unsubscribe(context, send) : null;
  });
  if (!result.ok || !result.value) return invalidLink();
  return page(200, 'You are unsubscribed', '<p>You will not receive marketing email from us at this address any more.</p>');
}

export const trackingRoutes: PluginHttpRoute<CampaignSettings>[] = [
  { method: 'GET', path: '/t/o/:token', handle: open },
  { method: 'GET', path: '/t/c/:token', handle: click },
  { method: 'GET', path: '/u/:token', handle: unsubscribePage },
  { method: 'POST', path: '/u/:token', handle: unsubscribeNow },
];
