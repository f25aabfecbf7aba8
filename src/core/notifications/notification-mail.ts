import type { Logger } from 'pino';
import type { AppConfig } from '../../config.js';
import { sendMail, type MailMessage } from '../email/transport.js';

/**
 * How notification emails leave the app: the email area's transport (nodemailer over SMTP_URL; without SMTP_URL the
 * message is logged). The notification jobs retry and record them themselves (`notification.emailed_at`); they are
 * not `email_message` rows, which are about contacts.
 */
export type NotificationMailer = (message: MailMessage) => Promise<void>;

export function notificationMailer(config: AppConfig, logger: Logger): NotificationMailer {
  return async (message) => {
    await sendMail(config, logger, message);
  };
}
