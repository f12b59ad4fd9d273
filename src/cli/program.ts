/**
 * The `flowgate` command line: global options, the command tree and what a run of it exits
 * with. Parsing, help (`--help` on every command) and usage errors are commander's.
 */
import { Command, CommanderError, Option } from "commander";
import { DEFAULT_ADDRESS } from "../client/index.ts";
import type { Act, CommandBody } from "./command.ts";
import { deploymentCommands } from "./commands/deployments.ts";
import { flowCommands } from "./commands/flows.ts";
import { limitCommands } from "./commands/limits.ts";
import { runCommands } from "./commands/runs.ts";
import { taskCommands } from "./commands/tasks.ts";
import { CliContext, type CliIo, type GlobalOptions } from "./context.ts";
import { describeCallError, isCallError } from "./errors.ts";
import { ExitCode } from "./exit-codes.ts";
import { UsageError } from "./format.ts";

const EXIT_CODES_HELP = `
Exit codes:
  0  done; set-state: ACCEPT
  1  the call failed (an error status, or no server): one line on stderr with the status
  2  the command line is wrong
  3  set-state: REJECT
  4  set-state: WAIT
  5  set-state: ABORT
  (set-state --dry-run exits with the outcome it would have had)`;

/** Runs the CLI with `argv` (without the node and script paths); resolves to the exit code. */
export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<number> {
  let exitCode: number = ExitCode.OK;
  function act<A extends unknown[]>(body: CommandBody<A>) {
    return async (...args: unknown[]) => {
      const command = args.pop() as Command;
      const context = new CliContext(command.optsWithGlobals<GlobalOptions>(), io);
      try {
        exitCode = (await body(context, ...(args as A))) ?? ExitCode.OK;
      } finally {
        context.close();
      }
    };
  }
  const program = buildProgram(env, io, act);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander printed the message or the help already.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`flowgate: ${error.message}\n`);
      return ExitCode.USAGE;
    }
    const message = isCallError(error)
      ? describeCallError(error)
      : error instanceof Error
        ? error.message
        : String(error);
    io.stderr.write(`flowgate: ${message}\n`);
    return ExitCode.ERROR;
  }
}

/** The command tree (exported for the test that asks every command for --help). */
export function buildProgram(
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
  act: Act,
) {
  const program = new Command("flowgate")
    .description(
      "Look at flowgate's flows, runs, task runs, limits and deployments, and steer runs.",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError("(add --help for usage)")
    .configureHelp({ showGlobalOptions: true })
    .option(
      "--address <host:port>",
      "the server, or a URL (env FLOWGATE_ADDRESS)",
      env.FLOWGATE_ADDRESS || DEFAULT_ADDRESS,
    )
    .addOption(tokenOption(env.FLOWGATE_TOKEN))
    .option("--tls", "connect with TLS, trusting the system's CAs")
    .option("--ca-file <path>", "PEM CA certificates to trust instead (implies --tls)")
    .option("--cert-file <path>", "PEM client certificate, for mutual TLS (implies --tls)")
    .option("--key-file <path>", "PEM private key of --cert-file")
    .addOption(
      new Option("-o, --output <format>", "output format")
        .choices(["table", "json"])
        .default("table"),
    )
    .addOption(
      new Option("--timeout <seconds>", "deadline of each call")
        .argParser(positiveNumber)
        .default(30),
    )
    .addHelpText("after", EXIT_CODES_HELP);
  flowCommands(program, act);
  runCommands(program, act);
  taskCommands(program, act);
  limitCommands(program, act);
  deploymentCommands(program, act);
  return program;
}

/** `--token`, defaulting to FLOWGATE_TOKEN without ever printing it in the help. */
function tokenOption(fromEnv: string | undefined): Option {
  const option = new Option("--token <token>", "bearer token (env FLOWGATE_TOKEN)");
  return fromEnv ? option.default(fromEnv, "from FLOWGATE_TOKEN") : option;
}

function positiveNumber(text: string): number {
  const value = Number(text);
  if (!(value > 0)) throw new UsageError(`--timeout must be a positive number, not "${text}"`);
  return value;
}
