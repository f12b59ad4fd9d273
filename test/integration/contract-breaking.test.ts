/**
 * scripts/check-breaking.ts (`npm run check:breaking`, in .ci/run) on scratch git
 * repositories holding this project's buf.yaml and proto/: it must pass additive changes,
 * catch a breaking one on a branch and on main, work from a fresh clone of main, and let the
 * package options be published once.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const script = path.join(projectRoot, "scripts/check-breaking.ts");
const scratchDirs: string[] = [];
afterEach(() => {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A git repository on branch main with the project's contract committed. */
function contractRepository(): { dir: string; git: (...args: string[]) => string } {
  const dir = mkdtempSync(path.join(tmpdir(), "flowgate-breaking-"));
  scratchDirs.push(dir);
  cpSync(path.join(projectRoot, "buf.yaml"), path.join(dir, "buf.yaml"));
  cpSync(path.join(projectRoot, "proto"), path.join(dir, "proto"), { recursive: true });
  const git = gitIn(dir);
  git("init", "-q", "-b", "main");
  commit(git, "the contract");
  return { dir, git };
}

function gitIn(dir: string) {
  return (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
      cwd: dir,
      encoding: "utf8",
    });
}

function commit(git: (...args: string[]) => string, message: string): void {
  git("add", "-A");
  git("commit", "-q", "-m", message);
}

function edit(dir: string, file: string, change: (text: string) => string): void {
  const target = path.join(dir, "proto/flowgate/v1", file);
  const before = readFileSync(target, "utf8");
  const after = change(before);
  expect(after).not.toBe(before);
  writeFileSync(target, after);
}

function checkBreaking(dir: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [script], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

const addField = (text: string) =>
  text.replace(
    "  repeated string tags = 3;\n",
    "  repeated string tags = 3;\n  string owner = 6;\n",
  );
const renumberName = (text: string) =>
  text.replace(/message Flow \{\n {2}string id = 1;\n {2}string name = 2;/, (m) =>
    m.replace("= 2", "= 9"),
  );

describe("npm run check:breaking", () => {
  it("passes an added field and fails a renumbered one, on a branch against main", () => {
    const { dir, git } = contractRepository();
    git("checkout", "-q", "-b", "feature");
    edit(dir, "flow.proto", addField);
    commit(git, "add a field");
    expect(checkBreaking(dir)).toMatchObject({ code: 0 });

    edit(dir, "flow.proto", renumberName);
    commit(git, "renumber a field");
    const result = checkBreaking(dir);
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      'Previously present field "2" with name "name" on message "Flow"',
    );
    expect(result.output).toContain("against the merge base with main");
  });

  it("compares main with its previous commit, also in a fresh or shallow clone", () => {
    const { dir, git } = contractRepository();
    edit(dir, "flow.proto", addField);
    commit(git, "add a field");
    const clone = mkdtempSync(path.join(tmpdir(), "flowgate-clone-"));
    scratchDirs.push(clone);
    execFileSync("git", ["clone", "-q", dir, clone]);
    const fresh = checkBreaking(clone);
    expect(fresh).toMatchObject({ code: 0 });
    expect(fresh.output).toContain("against the previous commit of main");

    const shallow = mkdtempSync(path.join(tmpdir(), "flowgate-shallow-"));
    scratchDirs.push(shallow);
    execFileSync("git", ["clone", "-q", "--depth", "1", `file://${dir}`, shallow]);
    const deepened = checkBreaking(shallow);
    expect(deepened).toMatchObject({ code: 0 });
    expect(deepened.output).toContain("against the previous commit of main");

    edit(dir, "flow.proto", renumberName);
    commit(git, "renumber a field on main");
    expect(checkBreaking(dir).code).toBe(1);
  });

  it("says so in one line when there is no main to compare with", () => {
    const { dir, git } = contractRepository();
    git("branch", "-m", "trunk");
    expect(checkBreaking(dir)).toEqual({
      code: 1,
      output:
        "buf breaking: no main branch to compare the contract with: fetch it (git fetch origin main:main) or set BUF_BREAKING_AGAINST\n",
    });
  });

  it("compares with BUF_BREAKING_AGAINST when it names a release", () => {
    const { dir, git } = contractRepository();
    git("tag", "v1.0.0");
    edit(dir, "flow.proto", renumberName);
    commit(git, "break");
    edit(dir, "flow.proto", addField);
    commit(git, "add");
    // Against the last commit alone the break is invisible; against the release it is not.
    expect(checkBreaking(dir, { BUF_BREAKING_AGAINST: "HEAD~1" }).code).toBe(0);
    expect(checkBreaking(dir, { BUF_BREAKING_AGAINST: "v1.0.0" }).code).toBe(1);
  });

  it("lets the package options be published once, and guards them from then on", () => {
    const { dir, git } = contractRepository();
    const protoDir = path.join(dir, "proto/flowgate/v1");
    const withOptions = new Map(
      readdirSync(protoDir).map((file) => [file, readFileSync(path.join(protoDir, file), "utf8")]),
    );
    for (const [file, text] of withOptions) {
      writeFileSync(path.join(protoDir, file), text.replace(/^option .*\n/gm, ""));
    }
    commit(git, "the contract before its package options");
    git("checkout", "-q", "-b", "publish");
    for (const [file, text] of withOptions) writeFileSync(path.join(protoDir, file), text);
    commit(git, "publish the package options");
    const published = checkBreaking(dir);
    expect(published).toMatchObject({ code: 0 });
    expect(published.output).toContain("package options published");

    // A break alongside the first publication is still reported.
    edit(dir, "flow.proto", renumberName);
    commit(git, "renumber too");
    expect(checkBreaking(dir).code).toBe(1);

    // Once main has them, changing one is breaking.
    git("checkout", "-q", "main");
    git("merge", "-q", "--ff-only", "publish~1");
    git("checkout", "-q", "-b", "rename-go-package");
    edit(dir, "flow.proto", (text) => text.replace('flowgatev1";', 'flowgate";'));
    commit(git, "change go_package");
    const changed = checkBreaking(dir);
    expect(changed.code).toBe(1);
    expect(changed.output).toContain("[FILE_SAME_GO_PACKAGE]");
  });
});
