import { Migration } from '@mikro-orm/migrations';

/**
 * `outbox_event.tx_id`: the id of the transaction that inserted the event (`pg_current_xact_id()`). Subscription
 * feeds read events below the oldest transaction still running (`pg_snapshot_xmin`), so an event is streamed once,
 * after its transaction committed, however long that transaction ran (reading by `occurred_at` with a look-back window
 * missed transactions longer than the window).
 */
export class Migration20261123220000OutboxCommitOrder extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "outbox_event" add column "tx_id" xid8 not null default pg_current_xact_id()`);
    this.addSql(`create index "outbox_event_workspace_tx_idx" on "outbox_event" ("workspace_id", "tx_id")`);
  }
}
