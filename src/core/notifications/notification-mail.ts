import type { Logger } from 'pino';
import type { AppConfig } from '../../config.js';
import { sendMail, type MailMessage } from '../workspace-admin/mailer.js';

/**
 * How notification emails leave the app: the one place to re-point when a transactional email service exists. For
 * now the workspace-admin mailer (nodemailer over SMTP_URL; without SMTP_URL the message is logged).
 */
export type NotificationMailer = (message: MailMessage) => Promise<void>;

export function notificationMailer(config: AppConfig, logger: Logger): NotificationMailer {
  return (message) => sendMail(config, logger, message);
}
