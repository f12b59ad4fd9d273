import { afterAll, beforeAll, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { type Database, openDatabase } from "../../src/persistence/database.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let testDatabase: TestDatabase;
let database: Database;
beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await openDatabase(
    { databaseUrl: testDatabase.url, dataDir: "" },
    createLogger("silent"),
  );
});
afterAll(async () => {
  await database.close();
  await testDatabase.drop();
});

it("applies every committed migration on a fresh database", async () => {
  expect(await database.orm.migrator.getPending()).toEqual([]);
  const executed = await database.orm.migrator.getExecuted();
  expect(executed.length).toBeGreaterThan(0);
});

it("leaves no difference between the entities and the migrated schema", async () => {
  // A non-empty diff means an entity changed without `npm run migration:create`.
  const diff = await database.orm.schema.getUpdateSchemaSQL({ wrap: false });
  expect(diff.trim()).toBe("");
});

it("is idempotent: opening the database again applies nothing", async () => {
  const again = await openDatabase(
    { databaseUrl: testDatabase.url, dataDir: "" },
    createLogger("silent"),
  );
  try {
    expect(await again.orm.migrator.getPending()).toEqual([]);
  } finally {
    await again.close();
  }
});
