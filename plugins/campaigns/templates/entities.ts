import { Entity, Index, Property } from '@mikro-orm/decorators/legacy';
import { EditableTenantEntity, TenantFilter } from '../../../src/sdk/index.js';

export enum TemplateFormat {
  HTML = 'html',
  MJML = 'mjml',
}

/**
 * A campaign email template (migration Migration20261210100000Campaigns): the source as written (HTML or MJML), and the
 * compiled HTML campaigns send (MJML compiled, CSS inlined, the preheader as the body's hidden first element).
 */
@Entity({ tableName: 'campaign_template' })
@TenantFilter()
@Index({
  name: 'campaign_template_workspace_id_name_live_unique',
  expression:
    'create unique index "campaign_template_workspace_id_name_live_unique" on "campaign_template" ("workspace_id", lower("name")) where "deleted_at" is null',
})
export class CampaignTemplate extends EditableTenantEntity {
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'text' })
  subject!: string;

  @Property({ type: 'string', length: 500, nullable: true })
  preheader?: string | null;

  @Property({ type: 'string', length: 8 })
  format!: TemplateFormat;

  /** What the author wrote (HTML or MJML, with Liquid merge fields). */
  @Property({ type: 'text' })
  source!: string;

  /** The text part; null: derived from the rendered HTML at send time. */
  @Property({ type: 'text', nullable: true })
  textBody?: string | null;

  /** The HTML sent: MJML compiled, CSS inlined, preheader first. Still Liquid (rendered per recipient). */
  @Property({ type: 'text' })
  compiledHtml!: string;

  @Property({ type: 'uuid', nullable: true })
  createdBy?: string | null;
}

export const templateEntities = [CampaignTemplate];
