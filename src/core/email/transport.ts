import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config.js';

export interface MailMessage {
  to: string;
  cc?: string[];
  /** Default: MAIL_FROM. */
  from?: string;
  subject: string;
  text: string;
  html?: string;
  /** Extra headers, already checked (src/core/email/message-options.ts). */
  headers?: Record<string, string>;
}

export interface MailResult {
  /** The Message-ID the SMTP server accepted (null: logged, not sent). */
  messageId: string | null;
}

/** An SMTP refusal or failure; `permanent` for 5xx answers (retrying would get the same). */
export class MailError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly responseCode: number | null,
  ) {
    super(message);
  }
}

const transports = new Map<string, Transporter>();

function transportFor(url: string): Transporter {
  let transport = transports.get(url);
  if (!transport) {
    // short timeouts: a send must not hang on a dead mail server (invitations are sent inside their transaction)
    transport = nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000 });
    transports.set(url, transport);
  }
  return transport;
}

/**
 * Sends one email through `SMTP_URL`. Without SMTP configured (development), the message is logged instead, so
 * links can be copied from the server log. Failures throw `MailError`.
 */
export async function sendMail(
  config: Pick<AppConfig, 'SMTP_URL' | 'MAIL_FROM'>,
  logger: Pick<Logger, 'info'>,
  message: MailMessage,
): Promise<MailResult> {
  if (!config.SMTP_URL) {
    logger.info({ to: message.to, subject: message.subject, body: message.text }, 'SMTP_URL is not set: email logged instead of sent');
    return { messageId: null };
  }
  try {
    const info = await transportFor(config.SMTP_URL).sendMail({
      from: message.from ?? config.MAIL_FROM,
      to: message.to,
      cc: message.cc?.length ? message.cc : undefined,
      subject: message.subject,
      text: message.text,
      html: message.html,
      headers: message.headers && Object.keys(message.headers).length ? message.headers : undefined,
    });
    return { messageId: typeof info.messageId === 'string' ? info.messageId : null };
  } catch (error) {
    const code = (error as { responseCode?: unknown }).responseCode;
    const responseCode = typeof code === 'number' ? code : null;
    const text = ((error as Error).message ?? String(error)).slice(0, 1000);
    throw new MailError(text, responseCode !== null && responseCode >= 500, responseCode);
  }
}
