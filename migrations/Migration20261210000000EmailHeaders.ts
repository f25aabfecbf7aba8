import { Migration } from '@mikro-orm/migrations';

/**
 * Extra headers of an email (src/core/email `sendEmail({ headers })`: `List-Unsubscribe`, `List-Id`, `X-…`), checked
 * against an allowlist on send and passed to the SMTP server on delivery.
 */
export class Migration20261210000000EmailHeaders extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "email_message" add column "headers" jsonb not null default '{}'`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "email_message" drop column if exists "headers"`);
  }
}
