import { Migration } from "@mikro-orm/migrations";

export class Migration20261125145515 extends Migration {
  override name = "Migration20261125145515";

  override up(): void | Promise<void> {
    this.addSql(
      `create table "flow" ("id" uuid not null, "name" varchar(255) not null, "tags" text[] not null default '{}', "created" timestamptz not null, "updated" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "flow" add constraint "flow_name_unique" unique ("name");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "flow" cascade;`);
  }
}
