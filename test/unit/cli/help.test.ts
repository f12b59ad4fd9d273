/** Every command of the `flowgate` tree answers --help (in-process: no server needed). */
import type { Command } from "commander";
import { expect, it } from "vitest";
import { buildProgram, runCli } from "../../../src/cli/program.ts";

function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((child) => {
    const path = [...prefix, child.name()];
    return [path, ...commandPaths(child, path)];
  });
}

function buffers() {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
    },
  };
}

const { io } = buffers();
const paths = [[], ...commandPaths(buildProgram({}, io, () => async () => {}))];

it("knows the commands of issue 12", () => {
  expect(paths.map((path) => path.join(" "))).toEqual(
    expect.arrayContaining([
      "flows list",
      "flows get",
      "runs list",
      "runs show",
      "runs watch",
      "runs set-state",
      "tasks list",
      "tasks show",
      "tasks watch",
      "limits list",
      "limits show",
      "deployments list",
      "deployments show",
    ]),
  );
});

it.each(paths.map((path) => [path.join(" ") || "(root)", path]))(
  "flowgate %s --help",
  async (_name, path) => {
    const { out, io } = buffers();
    expect(await runCli([...path, "--help"], {}, io)).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`^Usage: flowgate ${path.join(" ")}`.trimEnd()));
    expect(out.stdout).toContain("--address <host:port>");
    expect(out.stderr).toBe("");
  },
);

it("takes its defaults from FLOWGATE_ADDRESS and FLOWGATE_TOKEN, and never prints the token", async () => {
  const { out, io } = buffers();
  const env = { FLOWGATE_ADDRESS: "flowgate.internal:443", FLOWGATE_TOKEN: "s3cret-token" };
  await runCli(["runs", "list", "--help"], env, io);
  expect(out.stdout).toMatch(/\(default:\s+"flowgate\.internal:443"\)/);
  expect(out.stdout).toMatch(/\(default:\s+from\s+FLOWGATE_TOKEN\)/);
  expect(out.stdout).not.toContain("s3cret-token");
});
