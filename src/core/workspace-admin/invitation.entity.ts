import { Entity, Index, Property } from '@mikro-orm/decorators/legacy';
import { TenantEntity, TenantFilter } from '../shared/tenant-entity.js';

/**
 * An invitation to join a workspace, sent by email. The token is shown only in the email; the row keeps its
 * sha256. Pending while not accepted, not revoked and not expired.
 */
@Entity()
@TenantFilter()
@Index({ properties: ['workspaceId', 'email'] })
export class Invitation extends TenantEntity {
  /** Lower-cased address the invitation was sent to. */
  @Property({ type: 'string', length: 320 })
  email!: string;

  /** Built-in role key or custom role id the new member gets. */
  @Property({ type: 'string', length: 64 })
  role!: string;

  /** Hex sha256 of the whole token string; never exposed through the API. */
  @Property({ type: 'string', length: 64, unique: true, hidden: true })
  tokenHash!: string;

  /** The member who invited (for an API key: its creator). */
  @Property({ type: 'uuid', nullable: true })
  invitedBy?: string | null;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  acceptedAt?: Date | null;

  /** The user who accepted (a new account or an existing one). */
  @Property({ type: 'uuid', nullable: true })
  acceptedBy?: string | null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;
}
