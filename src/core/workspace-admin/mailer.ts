import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

const transports = new Map<string, Transporter>();

function transportFor(url: string): Transporter {
  let transport = transports.get(url);
  if (!transport) {
    // short timeouts: an invitation is sent inside its transaction, which must not hang on a dead mail server
    transport = nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000 });
    transports.set(url, transport);
  }
  return transport;
}

/**
 * Sends one email through `SMTP_URL`. Without SMTP configured (development), the message is logged instead, so
 * invitation links can be copied from the server log.
 */
export async function sendMail(config: AppConfig, logger: Logger, message: MailMessage): Promise<void> {
  if (!config.SMTP_URL) {
    logger.info({ to: message.to, subject: message.subject, body: message.text }, 'SMTP_URL is not set: email logged instead of sent');
    return;
  }
  await transportFor(config.SMTP_URL).sendMail({ from: config.MAIL_FROM, to: message.to, subject: message.subject, text: message.text });
}
