/**
 * Whether an open or a click came from a machine rather than the recipient (README "Machine opens and clicks"):
 *
 * - a HEAD request (link checkers probe without fetching);
 * - a user agent naming a scanner, a crawler or an HTTP library (security gateways, link previewers, scripts);
 * - within MACHINE_WINDOW_MS of the message's hand-off to the SMTP server: privacy proxies (Apple Mail Privacy
 *   Protection) fetch every pixel when the message arrives, and gateways click every link on arrival; a person does
 *   not open a message in the first seconds it exists.
 *
 * Gmail's and Yahoo's image proxies fetch when the recipient opens the message: they are not machines here.
 */
export const MACHINE_WINDOW_MS = 60_000;

const MACHINE_AGENT =
  /bot\b|crawler|spider|scanner|linkexpanding|facebookexternalhit|whatsapp|proofpoint|mimecast|barracuda|safelinks|urldefense|forcepoint|trendmicro|symantec|sophos|fortinet|paloalto|python-requests|python-urllib|aiohttp|curl\/|wget\/|go-http-client|java\/|okhttp|libwww|headlesschrome|phantomjs/i;

export interface EngagementRequest {
  method: string;
  userAgent: string | null;
}

export function isMachine(request: EngagementRequest, handedOffAt: Date | null, now: Date): boolean {
  if (request.method === 'HEAD') return true;
  if (request.userAgent && MACHINE_AGENT.test(request.userAgent)) return true;
  return handedOffAt !== null && now.getTime() - handedOffAt.getTime() < MACHINE_WINDOW_MS;
}
