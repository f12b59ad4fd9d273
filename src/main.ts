/** Process entry: configuration → app → listen; SIGTERM/SIGINT → drain → close → exit 0. */
import { startApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { EmbeddedPostgresInUseError } from "./persistence/embedded-postgres.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`flowgate: invalid configuration: ${error.message}\n`);
  process.exit(2);
}

const log = createLogger(config.logLevel);
const app = await startApp(config, log).catch((error: unknown) => {
  // Another server's database is an expected refusal: its message says what to do, no stack.
  if (error instanceof EmbeddedPostgresInUseError)
    log.fatal(`flowgate refuses to start: ${error.message}`);
  else log.fatal({ err: error }, "flowgate failed to start");
  process.exit(1);
});

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "draining");
    app.stop().then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, "unclean stop");
        process.exit(1);
      },
    );
  });
}
