import { Migration } from "@mikro-orm/migrations";

export class Migration20261201170706 extends Migration {
  override name = "Migration20261201170706";

  override up(): void | Promise<void> {
    this.addSql(
      `create or replace function "event_announce_fn"() returns trigger as $$ begin perform pg_notify('flowgate_events', NEW.resource_id::text); return null; end; $$ language plpgsql;`,
    );
    this.addSql(
      `create trigger "announce" AFTER INSERT on "event" for each ROW execute function "event_announce_fn"();`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "announce" on "event";`);
    this.addSql(`drop function if exists "event_announce_fn"();`);
  }
}
