import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { TestServer, TestWorkspace } from '../support/harness.js';

export const INBOX = `query($unread: Boolean, $first: Int) {
  notifications(unreadOnly: $unread, first: $first) { totalCount nodes { id type title body recordType recordId actorId data readAt } }
  unreadNotificationCount
}`;

export type Member = { id: string; email: string; headers: Record<string, string> };

export async function inboxOf(server: TestServer, who: Member | TestWorkspace, unread = false) {
  const res = await server.gql(INBOX, { unread }, who.headers);
  if (res.errors?.length) throw new Error(JSON.stringify(res.errors));
  return res.data as {
    notifications: {
      totalCount: number;
      nodes: { id: string; type: string; title: string; recordType: string | null; readAt: string | null; [k: string]: unknown }[];
    };
    unreadNotificationCount: number;
  };
}

export async function createContact(ws: TestWorkspace, firstName = 'Ada', ownerId?: string): Promise<string> {
  const data = await ws.ok(`mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } userErrors { message } } }`, {
    i: { firstName, lastName: 'Notified', ...(ownerId ? { ownerId } : {}) },
  });
  return data.createContact.contact.id;
}

export async function logTask(
  server: TestServer,
  headers: Record<string, string>,
  input: { subject: string; assigneeId?: string | null; dueAt?: string | null; targetId: string },
): Promise<string> {
  const res = await server.gql(
    `mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } userErrors { field message } } }`,
    {
      i: {
        type: 'TASK',
        subject: input.subject,
        assigneeId: input.assigneeId ?? null,
        dueAt: input.dueAt ?? null,
        targetIds: [input.targetId],
      },
    },
    headers,
  );
  if (res.errors?.length || res.data.logActivity.userErrors.length) throw new Error(JSON.stringify(res));
  return res.data.logActivity.activity.id;
}

/**
 * Settles when `check` holds (polled as the work it waits for happens, not after a set time). The deadline only
 * bounds a poll that nothing ends (inside `tickUntil` the steps are the bound).
 */
export function until(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () =>
      check().then((ok) => {
        if (ok) resolve();
        else if (Date.now() > deadline) reject(new Error('until: condition not met'));
        else setTimeout(poll, 20);
      }, reject);
    poll();
  });
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on loopback collecting what it receives. */
export class MailSink {
  readonly received: ReceivedMail[] = [];
  readonly #server: SMTPServer;

  constructor() {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${(this.#server.server.address() as AddressInfo).port}`;
  }

  to(address: string): ReceivedMail[] {
    return this.received.filter((m) => m.to.includes(address));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
