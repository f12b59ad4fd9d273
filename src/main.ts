/**
 * Process entry: configuration → app → listen; SIGTERM/SIGINT → drain → close → exit 0, also
 * when the signal comes during the start.
 */
import { type App, startApp } from "./app.ts";
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

// Installed before the start: a signal that comes while starting (waiting for another
// replica's migrations, or just after "flowgate listening") must drain the server once it has
// started, not kill the process undrained, with its embedded PostgreSQL left behind.
let stopSignal: NodeJS.Signals | undefined;
let app: App | undefined;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopSignal !== undefined) return;
    stopSignal = signal;
    if (app === undefined) log.info({ signal }, "signal during start-up: stopping once started");
    else stop(app, signal);
  });
}

app = await startApp(config, log).catch((error: unknown) => {
  // Another server's database is an expected refusal: its message says what to do, no stack.
  if (error instanceof EmbeddedPostgresInUseError)
    log.fatal(`flowgate refuses to start: ${error.message}`);
  else log.fatal({ err: error }, "flowgate failed to start");
  process.exit(1);
});
if (stopSignal !== undefined) stop(app, stopSignal);

function stop(started: App, signal: NodeJS.Signals): void {
  log.info({ signal }, "draining");
  started.stop().then(
    () => {
      log.info("stopped");
      process.exit(0);
    },
    (error: unknown) => {
      log.error({ err: error }, "unclean stop");
      process.exit(1);
    },
  );
}
