import { Migration } from "@mikro-orm/migrations";

export class Migration20261125152140 extends Migration {
  override name = "Migration20261125152140";

  override up(): void | Promise<void> {
    this.addSql(
      `create table "concurrency_lease" ("id" uuid not null, "resource_ids" uuid[] not null, "expiration" timestamptz not null, "created_at" timestamptz not null, "slots" int not null default 1, "holder_type" varchar(255) null, "holder_id" uuid null, primary key ("id"));`,
    );
    this.addSql(
      `create index "concurrency_lease_expiration_index" on "concurrency_lease" ("expiration");`,
    );
    this.addSql(
      `create index "concurrency_lease_holder_id_index" on "concurrency_lease" ("holder_id");`,
    );

    this.addSql(
      `create table "concurrency_limit_v2" ("id" uuid not null, "name" varchar(255) not null, "active" boolean not null default true, "limit" int not null, "active_slots" int not null default 0, "denied_slots" int not null default 0, "slot_decay_per_second" double precision not null default 0, "avg_slot_occupancy_seconds" double precision not null default 2, "updated" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "concurrency_limit_v2" add constraint "concurrency_limit_v2_name_unique" unique ("name");`,
    );

    this.addSql(
      `create table "event" ("seq" bigserial primary key, "id" uuid not null, "event" varchar(255) not null, "occurred" timestamptz not null, "follows" uuid null, "resource_id" uuid not null, "resource" jsonb not null, "related" jsonb not null, "payload" jsonb not null);`,
    );
    this.addSql(`alter table "event" add constraint "event_id_unique" unique ("id");`);
    this.addSql(`create index "event_resource_id_seq_index" on "event" ("resource_id", "seq");`);

    this.addSql(
      `create table "deployment" ("id" uuid not null, "flow_id" uuid not null, "name" varchar(255) not null, "concurrency_limit_id" uuid null, "concurrency_options" jsonb null, "created" timestamptz not null, "updated" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "deployment_flow_id_index" on "deployment" ("flow_id");`);
    this.addSql(
      `alter table "deployment" add constraint "deployment_flow_id_name_unique" unique ("flow_id", "name");`,
    );

    this.addSql(
      `create table "flow_run" ("id" uuid not null, "flow_id" uuid not null, "deployment_id" uuid null, "name" varchar(255) not null, "parameters" jsonb not null, "tags" text[] not null default '{}', "parent_task_run_id" uuid null, "infrastructure_pid" varchar(255) null, "work_queue_id" uuid null, "idempotency_key" varchar(255) null, "created_by" jsonb null, "empirical_policy" jsonb not null, "state_id" uuid null, "state_type" varchar(255) null, "state_name" varchar(255) null, "state_timestamp" timestamptz null, "run_count" int not null default 0, "expected_start_time" timestamptz null, "next_scheduled_start_time" timestamptz null, "start_time" timestamptz null, "end_time" timestamptz null, "total_run_time" double precision not null default 0, "created" timestamptz not null, "updated" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "flow_run_flow_id_index" on "flow_run" ("flow_id");`);
    this.addSql(`create index "flow_run_deployment_id_index" on "flow_run" ("deployment_id");`);
    this.addSql(
      `create index "flow_run_parent_task_run_id_index" on "flow_run" ("parent_task_run_id");`,
    );
    this.addSql(
      `create index "flow_run_state_type_next_scheduled_start_time_index" on "flow_run" ("state_type", "next_scheduled_start_time");`,
    );
    this.addSql(`create index "flow_run_created_id_index" on "flow_run" ("created", "id");`);
    this.addSql(
      `alter table "flow_run" add constraint "flow_run_flow_id_idempotency_key_unique" unique ("flow_id", "idempotency_key");`,
    );

    this.addSql(
      `create table "flow_run_input" ("id" uuid not null, "flow_run_id" uuid not null, "key" varchar(255) not null, "value" text not null, "created" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "flow_run_input" add constraint "flow_run_input_flow_run_id_key_unique" unique ("flow_run_id", "key");`,
    );

    this.addSql(
      `create table "flow_run_state" ("id" uuid not null, "flow_run_id" uuid not null, "type" varchar(255) not null, "name" varchar(255) not null, "timestamp" timestamptz not null, "message" text null, "state_details" jsonb not null, "data" jsonb null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "flow_run_state" add constraint "flow_run_state_flow_run_id_timestamp_unique" unique ("flow_run_id", "timestamp");`,
    );

    this.addSql(
      `alter table "deployment" add constraint "deployment_flow_id_foreign" foreign key ("flow_id") references "flow" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "deployment" add constraint "deployment_concurrency_limit_id_foreign" foreign key ("concurrency_limit_id") references "concurrency_limit_v2" ("id") on delete set null;`,
    );

    this.addSql(
      `alter table "flow_run" add constraint "flow_run_flow_id_foreign" foreign key ("flow_id") references "flow" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "flow_run" add constraint "flow_run_deployment_id_foreign" foreign key ("deployment_id") references "deployment" ("id") on delete set null;`,
    );

    this.addSql(
      `alter table "flow_run_input" add constraint "flow_run_input_flow_run_id_foreign" foreign key ("flow_run_id") references "flow_run" ("id") on delete cascade;`,
    );

    this.addSql(
      `alter table "flow_run_state" add constraint "flow_run_state_flow_run_id_foreign" foreign key ("flow_run_id") references "flow_run" ("id") on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(
      `alter table "deployment" drop constraint "deployment_concurrency_limit_id_foreign";`,
    );
    this.addSql(`alter table "flow_run" drop constraint "flow_run_deployment_id_foreign";`);
    this.addSql(
      `alter table "flow_run_input" drop constraint "flow_run_input_flow_run_id_foreign";`,
    );
    this.addSql(
      `alter table "flow_run_state" drop constraint "flow_run_state_flow_run_id_foreign";`,
    );

    this.addSql(`drop table if exists "concurrency_lease" cascade;`);
    this.addSql(`drop table if exists "concurrency_limit_v2" cascade;`);
    this.addSql(`drop table if exists "event" cascade;`);
    this.addSql(`drop table if exists "deployment" cascade;`);
    this.addSql(`drop table if exists "flow_run" cascade;`);
    this.addSql(`drop table if exists "flow_run_input" cascade;`);
    this.addSql(`drop table if exists "flow_run_state" cascade;`);
  }
}
