/** The `flowgate` command's entry point (bin/flowgate.js loads it): runs the CLI, sets the exit code. */
import { runCli } from "./program.ts";

process.exitCode = await runCli(process.argv.slice(2), process.env, process);
