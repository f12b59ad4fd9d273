/**
 * What the command modules share: the shape of a command's body, and the options several
 * commands take (`--limit`, `--state`).
 */
import { Option } from "commander";
import type { StateType } from "../../gen/flowgate/v1/states_pb.js";
import type { CliContext } from "./context.ts";
import type { ExitCode } from "./exit-codes.ts";
import { parseStateType, UsageError } from "./format.ts";

/** A command's body: gets the context and the parsed arguments, returns the exit code. */
export type CommandBody<A extends unknown[]> = (
  context: CliContext,
  ...args: A
) => Promise<ExitCode | undefined>;

/** Turns a body into a commander action (which cannot return a value). */
export type Act = <A extends unknown[]>(
  body: CommandBody<A>,
) => (...args: unknown[]) => Promise<void>;

/** A positive whole number for `--limit`. */
export function limitOption(): Option {
  return new Option("--limit <n>", "at most this many (fetches more pages as needed)")
    .argParser((text) => {
      const value = Number(text);
      if (!Number.isInteger(value) || value < 1) {
        throw new UsageError(`--limit must be a whole number from 1, not "${text}"`);
      }
      return value;
    })
    .default(100);
}

/** `--state RUNNING --state pending` or `--state RUNNING,PENDING`. */
export function stateOption(): Option {
  return new Option("--state <type...>", "only runs in these state types").argParser(
    (text: string, previous: StateType[] | undefined) => [
      ...(previous ?? []),
      ...text.split(",").filter(Boolean).map(parseStateType),
    ],
  );
}
