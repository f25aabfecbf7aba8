import { Migration } from '@mikro-orm/migrations';

/**
 * Encryption at rest (src/core/encryption): webhook signing secrets become `text`, as an encrypted value
 * (`enc:v1:<key id>:<iv>:<tag>:<ciphertext>`) outgrows `varchar(100)`; `app_user.totp_secret` already is `text`.
 *
 * Values stored before this migration stay plain (they are still read) until `npm run rotate-keys` encrypts them:
 * a migration does not hold the keys (ENCRYPTION_KEY is the server's configuration, not the schema's).
 */
export class Migration20261209000000Encryption extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "webhook_endpoint" alter column "secret" type text, alter column "previous_secret" type text`);
  }
}
