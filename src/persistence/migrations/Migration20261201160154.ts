import { Migration } from "@mikro-orm/migrations";

export class Migration20261201160154 extends Migration {
  override name = "Migration20261201160154";

  override up(): void | Promise<void> {
    this.addSql(`alter table "flow_run_state" add "decision" jsonb null;`);

    this.addSql(`alter table "task_run_state" add "decision" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "flow_run_state" drop column "decision";`);

    this.addSql(`alter table "task_run_state" drop column "decision";`);
  }
}
