/**
 * `npm run migrate` applies pending migrations and says which ("nothing to apply" when none
 * are); `npm run migration:create` diffs the entities against the schema snapshot and writes
 * a new migration. Both use DATABASE_URL, or the embedded PostgreSQL when it is unset. That
 * one may belong to a running server on the same data directory: then they refuse (exit 1),
 * naming the server and its database URL, rather than stop its database or migrate under it.
 * An unknown command is a usage error (exit 2) before anything connects.
 */
import { ConfigError, loadConfig } from "../config.ts";
import { createLogger } from "../logger.ts";
import { type Database, openDatabase } from "./database.ts";
import { EmbeddedPostgresInUseError } from "./embedded-postgres.ts";

const USAGE = `usage: node src/persistence/migrate-cli.ts <command>
  up      apply pending migrations (npm run migrate)
  create  write a migration for what changed in the entities (npm run migration:create)
`;

const args = process.argv.slice(2);
const problem = usageProblem(args);
if (problem !== undefined) {
  process.stderr.write(`flowgate migrate: ${problem}\n${USAGE}`);
  process.exit(2);
}
const command = args[0];

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`flowgate migrate: invalid configuration: ${error.message}\n`);
  process.exit(2);
}

const log = createLogger(config.logLevel);
let database: Database;
try {
  database = await openDatabase(config, log); // applies pending migrations and logs which
} catch (error) {
  if (error instanceof EmbeddedPostgresInUseError) log.fatal(`migrate refused: ${error.message}`);
  else log.fatal({ err: error }, "migrate failed");
  process.exit(1);
}
try {
  if (command === "create") {
    const result = await database.orm.migrator.create();
    log.info(
      { fileName: result.fileName },
      result.fileName ? "migration created" : "schema is up to date",
    );
  }
} finally {
  await database.close();
}

function usageProblem([command, extra]: string[]): string | undefined {
  if (command === undefined) return "no command given";
  if (command !== "up" && command !== "create") return `unknown command "${command}"`;
  // `npm run migrate -- down` runs "up down": refused, not taken for "up".
  if (extra !== undefined) return `unexpected argument "${extra}"`;
  return undefined;
}
