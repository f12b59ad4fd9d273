/**
 * Fails when proto/ breaks the published contract (`buf breaking`, FILE rules, buf.yaml).
 *
 * The published contract is the main branch. On a branch, the change under review is
 * everything since it left main, so the baseline is the merge base with main (`main`, else
 * `origin/main`). On main itself, the change is the last commit (or merge), so the baseline is
 * HEAD's first parent. `BUF_BREAKING_AGAINST=<git ref>` names another baseline (a release
 * tag). The baseline's buf.yaml and proto/ are taken with `git archive`, which works the same
 * in a clone, a worktree or CI, without a network.
 *
 * First publication: when the baseline's flowgate protos set no package options at all
 * (`go_package` and the others were only added when the contract was first published), no
 * generated code in another language can depend on them, so setting them is not reported;
 * every other finding is. Once the baseline has them, changing them is breaking like anything
 * else.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

interface Finding {
  readonly path: string;
  readonly start_line?: number;
  readonly type: string;
  readonly message: string;
}

const git = (...args: string[]) =>
  execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const tryGit = (...args: string[]) => {
  try {
    return git(...args);
  } catch {
    return undefined;
  }
};

try {
  process.exitCode = check();
} catch (error) {
  console.error(`buf breaking: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}

/** Runs the comparison and prints its findings; returns the exit code. */
function check(): number {
  process.chdir(git("rev-parse", "--show-toplevel"));
  const baseline = chooseBaseline();
  if (baseline === undefined) {
    console.log(
      "buf breaking: HEAD has no parent, so there is no earlier contract to compare with",
    );
    return 0;
  }
  const scratch = mkdtempSync(path.join(tmpdir(), "flowgate-contract-"));
  try {
    const archive = execFileSync("git", ["archive", baseline.commit, "buf.yaml", "proto"]);
    execFileSync("tar", ["-x", "-C", scratch], { input: archive });
    const firstPublication = !hasPackageOptions(path.join(scratch, "proto", "flowgate"));
    const findings = bufBreaking(scratch);
    const reported = findings.filter((finding) => !(firstPublication && isFirstOption(finding)));
    const against = `${baseline.description} (${baseline.commit.slice(0, 12)})`;
    if (reported.length > 0) {
      for (const { path, start_line, message, type } of reported) {
        console.error(`${path}:${start_line ?? 0}: ${message} [${type}]`);
      }
      console.error(`buf breaking: ${reported.length} breaking change(s) against ${against}`);
      return 1;
    }
    const note = firstPublication && findings.length > 0 ? "; package options published" : "";
    console.log(`buf breaking: no breaking change against ${against}${note}`);
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `buf breaking` of the working tree against the contract in `against`. */
function bufBreaking(against: string): Finding[] {
  const buf = spawnSync("buf", ["breaking", "--against", against, "--error-format", "json"], {
    encoding: "utf8",
  });
  // 100 is buf's "found breaking changes"; anything else non-zero is a failure to run.
  if (buf.status !== 0 && buf.status !== 100) {
    throw new Error(`buf failed (exit ${buf.status}): ${buf.stderr || buf.error?.message}`);
  }
  return buf.stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Finding);
}

/** The commit whose contract HEAD must stay compatible with; see the module header. */
function chooseBaseline(): { commit: string; description: string } | undefined {
  const override = process.env.BUF_BREAKING_AGAINST;
  if (override) return { commit: resolve(override), description: override };
  const main = ["main", "origin/main"].find((ref) =>
    tryGit("rev-parse", "--verify", "--quiet", `${ref}^{commit}`),
  );
  if (main === undefined) {
    throw new Error(
      "no main branch to compare the contract with: fetch it (git fetch origin main:main) or set BUF_BREAKING_AGAINST",
    );
  }
  const head = resolve("HEAD");
  const mergeBase = git("merge-base", "HEAD", main);
  if (mergeBase !== head) return { commit: mergeBase, description: `the merge base with ${main}` };
  const parent = previousCommit();
  if (parent !== undefined) return { commit: parent, description: "the previous commit of main" };
  return undefined;
}

/** HEAD's first parent; a shallow clone (as CI may make) is deepened by one commit first. */
function previousCommit(): string | undefined {
  const parentOf = () => tryGit("rev-parse", "--verify", "--quiet", "HEAD^1^{commit}");
  const parent = parentOf();
  if (parent !== undefined || tryGit("rev-parse", "--is-shallow-repository") !== "true") {
    return parent;
  }
  if (tryGit("fetch", "--quiet", "--deepen=1") === undefined) {
    throw new Error("a shallow clone without its previous commit, and fetching it failed");
  }
  return parentOf();
}

function resolve(ref: string): string {
  return git("rev-parse", "--verify", `${ref}^{commit}`);
}

/** Whether any .proto under `dir` sets go_package (all package options came together). */
function hasPackageOptions(dir: string): boolean {
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((file) =>
    file.endsWith(".proto"),
  );
  return files.some((file) =>
    /^option go_package\b/m.test(readFileSync(path.join(dir, file), "utf8")),
  );
}

/** A file option set where it was unset (or `false`, java_multiple_files' default) before. */
function isFirstOption(finding: Finding): boolean {
  return (
    finding.type.startsWith("FILE_SAME_") &&
    /^File option "\w+" changed from "(false)?" to /.test(finding.message)
  );
}
