import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A request the receiver got. */
export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Responder = (request: Received, response: ServerResponse) => void;

/**
 * A real HTTP receiver on 127.0.0.1 (an ephemeral port): records every request and answers with the responder of its
 * path (default 200 "ok"). `verify(received, secret)` checks a request's signature as a receiver would, with the
 * `standardwebhooks` package's `Webhook.verify` (which also checks the timestamp against the real clock: ±5 min).
 */
export class Receiver {
  readonly received: Received[] = [];
  readonly #responders = new Map<string, Responder>();
  readonly #sockets = new Set<import('node:net').Socket>();
  #server: Server | null = null;
  port = 0;

  async start(): Promise<this> {
    this.#server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const received = { path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') };
        this.received.push(received);
        const responder = this.#responders.get(received.path);
        if (responder) responder(received, res);
        else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  on(path: string, responder: Responder): void {
    this.#responders.set(path, responder);
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** The payload if the request is signed by `secret` (Standard Webhooks), else throws. */
export function verify(received: Received, secret: string): any {
  return new Webhook(secret).verify(received.body, {
    'webhook-id': received.headers['webhook-id'] ?? '',
    'webhook-timestamp': received.headers['webhook-timestamp'] ?? '',
    'webhook-signature': received.headers['webhook-signature'] ?? '',
  });
}

export function verifies(received: Received, secret: string): boolean {
  try {
    verify(received, secret);
    return true;
  } catch {
    return false;
  }
}

/** A port on 127.0.0.1 where nothing listens (connection refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
