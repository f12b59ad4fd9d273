import { Migration } from "@mikro-orm/migrations";

export class Migration20261125154822 extends Migration {
  override name = "Migration20261125154822";

  override up(): void | Promise<void> {
    this.addSql(
      `create table "tag_concurrency_limit" ("id" uuid not null, "tag" varchar(255) not null, "concurrency_limit" int not null, "created" timestamptz not null, "updated" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "tag_concurrency_limit" add constraint "tag_concurrency_limit_tag_unique" unique ("tag");`,
    );

    this.addSql(
      `create table "task_run" ("id" uuid not null, "flow_run_id" uuid null, "task_key" varchar(255) not null, "dynamic_key" varchar(255) not null, "name" varchar(255) not null, "tags" text[] not null default '{}', "cache_key" text null, "cache_expiration" timestamptz null, "empirical_policy" jsonb not null, "flow_run_run_count" int not null default 0, "state_id" uuid null, "state_type" varchar(255) null, "state_name" varchar(255) null, "state_timestamp" timestamptz null, "run_count" int not null default 0, "expected_start_time" timestamptz null, "next_scheduled_start_time" timestamptz null, "start_time" timestamptz null, "end_time" timestamptz null, "total_run_time" double precision not null default 0, "created" timestamptz not null, "updated" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "task_run_flow_run_id_index" on "task_run" ("flow_run_id");`);
    this.addSql(`create index "task_run_created_id_index" on "task_run" ("created", "id");`);
    this.addSql(
      `alter table "task_run" add constraint "task_run_flow_run_id_task_key_dynamic_key_unique" unique ("flow_run_id", "task_key", "dynamic_key");`,
    );

    this.addSql(
      `create table "tag_concurrency_holder" ("limit_id" uuid not null, "task_run_id" uuid not null, "expires_at" timestamptz not null, "created" timestamptz not null, primary key ("limit_id", "task_run_id"));`,
    );
    this.addSql(
      `create index "tag_concurrency_holder_task_run_id_index" on "tag_concurrency_holder" ("task_run_id");`,
    );
    this.addSql(
      `create index "tag_concurrency_holder_expires_at_index" on "tag_concurrency_holder" ("expires_at");`,
    );

    this.addSql(
      `create table "task_run_state" ("id" uuid not null, "task_run_id" uuid not null, "type" varchar(255) not null, "name" varchar(255) not null, "timestamp" timestamptz not null, "message" text null, "state_details" jsonb not null, "data" jsonb null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "task_run_state" add constraint "task_run_state_task_run_id_timestamp_unique" unique ("task_run_id", "timestamp");`,
    );

    this.addSql(
      `create table "task_run_state_cache" ("id" uuid not null, "cache_key" text not null, "cache_expiration" timestamptz null, "task_run_state_id" uuid not null, "created" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create index "task_run_state_cache_task_run_state_id_index" on "task_run_state_cache" ("task_run_state_id");`,
    );
    this.addSql(
      `create index "task_run_state_cache_cache_key_created_index" on "task_run_state_cache" ("cache_key", "created");`,
    );

    this.addSql(
      `alter table "task_run" add constraint "task_run_flow_run_id_foreign" foreign key ("flow_run_id") references "flow_run" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "tag_concurrency_holder" add constraint "tag_concurrency_holder_limit_id_foreign" foreign key ("limit_id") references "tag_concurrency_limit" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "tag_concurrency_holder" add constraint "tag_concurrency_holder_task_run_id_foreign" foreign key ("task_run_id") references "task_run" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "task_run_state" add constraint "task_run_state_task_run_id_foreign" foreign key ("task_run_id") references "task_run" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "task_run_state_cache" add constraint "task_run_state_cache_task_run_state_id_foreign" foreign key ("task_run_state_id") references "task_run_state" ("id") on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(
      `alter table "tag_concurrency_holder" drop constraint "tag_concurrency_holder_limit_id_foreign";`,
    );
    this.addSql(
      `alter table "tag_concurrency_holder" drop constraint "tag_concurrency_holder_task_run_id_foreign";`,
    );
    this.addSql(
      `alter table "task_run_state" drop constraint "task_run_state_task_run_id_foreign";`,
    );
    this.addSql(
      `alter table "task_run_state_cache" drop constraint "task_run_state_cache_task_run_state_id_foreign";`,
    );

    this.addSql(`drop table if exists "tag_concurrency_limit" cascade;`);
    this.addSql(`drop table if exists "task_run" cascade;`);
    this.addSql(`drop table if exists "tag_concurrency_holder" cascade;`);
    this.addSql(`drop table if exists "task_run_state" cascade;`);
    this.addSql(`drop table if exists "task_run_state_cache" cascade;`);
  }
}
