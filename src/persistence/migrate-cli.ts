/**
 * `npm run migrate` applies pending migrations; `npm run migration:create` diffs the
 * entities against the schema snapshot and writes a new migration. Both use DATABASE_URL,
 * or the embedded PostgreSQL when it is unset.
 */
import { loadConfig } from "../config.ts";
import { createLogger } from "../logger.ts";
import { openDatabase } from "./database.ts";

const command = process.argv[2];
const config = loadConfig();
const log = createLogger(config.logLevel);
const database = await openDatabase(config, log); // applies pending migrations
try {
  if (command === "create") {
    const result = await database.orm.migrator.create();
    log.info(
      { fileName: result.fileName },
      result.fileName ? "migration created" : "schema is up to date",
    );
  } else if (command !== "up") {
    throw new Error(`unknown command ${command}; use "up" or "create"`);
  }
} finally {
  await database.close();
}
