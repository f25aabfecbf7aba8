import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** A person who can sign in; belongs to workspaces through memberships. Authentication comes with the identity module. */
@Entity({ tableName: 'app_user' })
export class User {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = randomUUID();

  @Property({ type: 'string', length: 320, unique: true })
  email!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  /** argon2id hash; never exposed through the API. */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  passwordHash?: string | null;

  /** Sessions and access tokens issued before this moment are rejected (set on password change; global, so it reaches every workspace). */
  @Property({ type: 'datetime', nullable: true })
  sessionsValidAfter?: Date | null;

  /** Base32 TOTP secret (pending until `totpEnabledAt` is set), encrypted at rest (src/core/encryption); never exposed through the API. */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  totpSecret?: string | null;

  @Property({ type: 'datetime', nullable: true })
  totpEnabledAt?: Date | null;

  /** The last 30-second TOTP step accepted (a code is never accepted twice). */
  @Property({ type: 'integer', nullable: true, hidden: true, lazy: true })
  totpLastStep?: number | null;

  /** sha256 hashes of the unused recovery codes; never exposed through the API. */
  @Property({ type: 'json', nullable: true, hidden: true, lazy: true })
  recoveryCodeHashes?: string[] | null;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
