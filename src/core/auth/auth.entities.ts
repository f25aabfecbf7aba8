import type { Opt } from '@mikro-orm/core';
import { Entity, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';
import type { FieldAllowlist } from '../../permissions/builtin-roles.js';

/**
 * One sign-in of a user in one workspace: the family of its rotating refresh tokens. Access tokens name it
 * (`sid`) and are refused once it is revoked.
 */
@Entity({ tableName: 'auth_session' })
@TenantFilter()
export class AuthSession extends TenantEntity {
  @Property({ type: 'uuid', index: true })
  userId!: string;

  /** The family's end: no refresh token of it is accepted after this. */
  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  /** `signOut`, `passwordChanged`, `refreshTokenReused`. */
  @Property({ type: 'string', length: 40, nullable: true })
  revokedReason?: string | null;

  @Property({ type: 'string', length: 64, nullable: true })
  ip?: string | null;
}

/** One refresh token of a session; only its sha256 is stored. A used one presented again revokes the session. */
@Entity({ tableName: 'auth_refresh_token' })
@TenantFilter()
export class RefreshToken extends TenantEntity {
  @ManyToOne({ entity: () => AuthSession, fieldName: 'session_id', mapToPk: true, deleteRule: 'cascade', index: true })
  sessionId!: string;

  @Property({ type: 'string', length: 64, unique: true, hidden: true })
  tokenHash!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  /** Set when the token was exchanged for a new pair. */
  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date | null;
}

/** An integrator's key: bound to a role and an optional field allowlist; only the secret's sha256 is stored. */
@Entity({ tableName: 'api_key' })
@TenantFilter()
export class ApiKey extends TenantEntity {
  @Property({ type: 'string', length: 100 })
  name!: string;

  /** A built-in role key or a custom role's id. */
  @Property({ type: 'string', length: 64 })
  role!: string;

  @Property({ type: 'json', nullable: true })
  fieldAllowlist?: FieldAllowlist | null;

  @Property({ type: 'string', length: 64, hidden: true })
  secretHash!: string;

  /** The secret's last 4 characters, to tell keys apart. */
  @Property({ type: 'string', length: 8 })
  last4!: string;

  @Property({ type: 'uuid' })
  createdBy!: string;

  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Opt<Date> | null;
}
