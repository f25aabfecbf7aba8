import { Migration } from '../../../src/sdk/index.js';

/**
 * Indexes for `dealForecast`: partial covering indexes, so its two statements read only the rows they sum (index-only
 * scans once the visibility map is set) instead of scanning every deal of the workspace:
 * - open deals by expected close date (the open pipeline: totals, per month, owner, stage);
 * - closed deals by closed_at (won to date, win rate, sales cycle).
 */
export class Migration20261201200000PipelineForecastIndexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "deal_forecast_open_index" on "deal" ("workspace_id", "expected_close_date")
      include ("currency", "amount", "owner_id", "pipeline_id", "stage_id") where "status" = 'open' and "deleted_at" is null`);
    this.addSql(`create index "deal_forecast_closed_index" on "deal" ("workspace_id", "closed_at")
      include ("status", "currency", "amount", "created_at", "owner_id", "pipeline_id") where "closed_at" is not null and "deleted_at" is null`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "deal_forecast_closed_index"`);
    this.addSql(`drop index if exists "deal_forecast_open_index"`);
  }
}
