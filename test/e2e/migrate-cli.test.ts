/**
 * Regressions of the migration command: `npm run migrate` says what it applied (it said
 * nothing), and an unknown sub-command or an argument more is a usage error before anything
 * connects (it applied the migrations, then failed with a stack trace, or ignored the argument).
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { spawnNpm, spawnProcess } from "../support/process.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const committed = readdirSync(path.join(import.meta.dirname, "../../src/persistence/migrations"))
  .filter((file) => /^Migration.*\.ts$/.test(file))
  .map((file) => file.replace(/\.ts$/, ""))
  .sort();

async function tables(): Promise<number> {
  const [row] = await database.query<{ count: string }>(
    "select count(*) from information_schema.tables where table_schema = 'public'",
  );
  return Number(row?.count);
}

it.each([
  { args: ["upp"], problem: 'unknown command "upp"' },
  { args: ["up", "down"], problem: 'unexpected argument "down"' }, // `npm run migrate -- down`
])("regression: $args is a usage error, and nothing is applied", async ({ args, problem }) => {
  const cli = spawnProcess(process.execPath, ["src/persistence/migrate-cli.ts", ...args], {
    DATABASE_URL: database.url,
  });
  expect(await cli.exited).toBe(2);
  expect(cli.output()).toContain(problem);
  expect(cli.output()).toContain("usage: node src/persistence/migrate-cli.ts <command>");
  expect(await tables()).toBe(0);
});

it("regression: `npm run migrate` names the migrations it applied, then says nothing to apply", async () => {
  expect(committed.length).toBeGreaterThan(0);
  const first = spawnNpm(["run", "migrate"], { DATABASE_URL: database.url });
  expect(await first.exited).toBe(0);
  expect(first.output()).toContain(`"msg":"migrations: applied ${committed.join(", ")}"`);
  expect(await tables()).toBeGreaterThan(0);

  const again = spawnNpm(["run", "migrate"], { DATABASE_URL: database.url });
  expect(await again.exited).toBe(0);
  expect(again.output()).toContain('"msg":"migrations: nothing to apply"');
});
