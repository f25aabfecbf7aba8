import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { withoutNul } from '../shared/text.js';
import { resolveWebhookTarget, type HostAllowlist, type Resolver } from './ssrf.js';

/** The most of a response (and of a request body) the delivery log keeps. */
export const EXCERPT_BYTES = 2048;

export interface HttpAttemptResult {
  /** The response's status, or null when none came (refused, timed out, connection failed). */
  status: number | null;
  /** The first 2 KB of the response body. */
  body: string | null;
  retryAfter: string | null;
  durationMs: number;
  /** Why the attempt failed before a response, or what a redirect pointed at; null for a response. */
  error: string | null;
}

/** Text the database can store (no NUL) and at most `bytes` of UTF-8. */
export function excerpt(text: string, bytes = EXCERPT_BYTES): string {
  const clean = withoutNul(text);
  const buffer = Buffer.from(clean, 'utf8');
  return buffer.length <= bytes
    ? clean
    : buffer
        .subarray(0, bytes)
        .toString('utf8')
        .replace(/\ufffd$/, '');
}

const errorText = (error: unknown): string => {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return excerpt(code && !message.includes(code) ? `${message} (${code})` : message, 1000);
};

/**
 * POSTs `body` to `url` once: the SSRF guard resolves the host and the request connects to the checked address
 * (a pinned lookup; TLS still verifies the host name). Redirects are not followed (a 3xx is a failed attempt), the
 * whole exchange is bounded by `timeoutMs`, and only the first 2 KB of the response are read.
 */
export async function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; allow: HostAllowlist; resolve?: Resolver },
): Promise<HttpAttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.max(0, Math.round(performance.now() - started));
  const failed = (error: unknown): HttpAttemptResult => ({
    status: null,
    body: null,
    retryAfter: null,
    durationMs: elapsed(),
    error: errorText(error),
  });
  let target: Awaited<ReturnType<typeof resolveWebhookTarget>>;
  try {
    target = await resolveWebhookTarget(url, options.allow, options.resolve);
  } catch (error) {
    return failed(error);
  }
  const remaining = Math.max(1, options.timeoutMs - elapsed());
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const client = target.url.protocol === 'https:' ? https : http;
  return new Promise<HttpAttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: HttpAttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = client.request(
      target.url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: pinned,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const status = response.statusCode ?? null;
          const location = response.headers.location;
          const text = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
          finish({
            status,
            body: excerpt(text),
            retryAfter: typeof response.headers['retry-after'] === 'string' ? response.headers['retry-after'] : null,
            durationMs: elapsed(),
            error:
              status !== null && status >= 300 && status < 400
                ? excerpt(`redirect not followed${location ? ` (Location: ${location})` : ''}`, 1000)
                : null,
          });
          response.destroy();
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= EXCERPT_BYTES) done();
        });
        response.on('end', done);
        response.on('error', (error) => (chunks.length ? done() : finish(failed(error))));
        response.on('close', done);
      },
    );
    const timer = setTimeout(() => {
      finish(failed(new Error(`timed out after ${options.timeoutMs} ms`)));
      request.destroy();
    }, remaining);
    request.on('error', (error) => finish(failed(error)));
    request.end(body);
  });
}
