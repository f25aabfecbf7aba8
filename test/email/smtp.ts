import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  headers: Record<string, string>;
  subject: string;
  /** The decoded text/plain part ('' when there is none). */
  text: string;
  /** The decoded text/html part ('' when there is none). */
  html: string;
  raw: string;
}

const hexDecode = (s: string) =>
  Buffer.from(
    s.replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');

function decode(body: string, encoding: string): string {
  if (encoding === 'quoted-printable') return hexDecode(body.replace(/=\r?\n/g, ''));
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** RFC 2047 encoded words (=?utf-8?Q?…?= / =?utf-8?B?…?=), possibly several. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([QB])\?(.*?)\?=/gi, (_m, kind: string, text: string) =>
      kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : hexDecode(text.replace(/_/g, ' ')),
    );
}

function splitHead(raw: string): { headers: Record<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

/** A small MIME reader: enough for nodemailer's text + HTML messages (multipart/alternative, QP, base64). */
function parts(raw: string): { type: string; body: string }[] {
  const { headers, body } = splitHead(raw);
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    return body
      .split(`--${boundary}`)
      .slice(1)
      .filter((chunk) => !chunk.startsWith('--'))
      .flatMap((chunk) => parts(chunk.replace(/^\r?\n/, '').replace(/\r?\n$/, '')));
  }
  return [
    { type: type.split(';')[0]!.trim().toLowerCase(), body: decode(body, (headers['content-transfer-encoding'] ?? '').toLowerCase()) },
  ];
}

export function parseMail(raw: string, from: string, to: string[]): ReceivedMail {
  const { headers } = splitHead(raw);
  const all = parts(raw);
  return {
    from,
    to,
    headers,
    subject: decodeWords(headers.subject ?? ''),
    text: all.find((p) => p.type === 'text/plain')?.body ?? '',
    html: all.find((p) => p.type === 'text/html')?.body ?? '',
    raw,
  };
}

/**
 * A real SMTP server on loopback (no TLS, no auth) that keeps what it accepts. `rejectNext(n, code)` makes it refuse
 * the next n messages with that code (4xx: try again later; 5xx: for good).
 */
export class TestSmtp {
  readonly received: ReceivedMail[] = [];
  #server: SMTPServer;
  #reject: { count: number; code: number } = { count: 0, code: 451 };
  port = 0;

  constructor() {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.#reject.count > 0) {
            this.#reject.count--;
            callback(Object.assign(new Error('mailbox busy, try again later'), { responseCode: this.#reject.code }));
            return;
          }
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          this.received.push(
            parseMail(
              Buffer.concat(chunks).toString('utf8'),
              from,
              session.envelope.rcptTo.map((r) => r.address),
            ),
          );
          callback();
        });
      },
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  rejectNext(count: number, code = 451): void {
    this.#reject = { count, code };
  }

  /** What was delivered to `address`. */
  to(address: string): ReceivedMail[] {
    return this.received.filter((m) => m.to.includes(address));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
