/**
 * Fails when gen/ is out of date with proto/ or when buf lint fails: regenerates into a
 * temporary directory and compares it file by file with the committed gen/.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const scratch = mkdtempSync(path.join(tmpdir(), "flowgate-gen-"));
try {
  execFileSync("buf", ["lint"], { cwd: root, stdio: "inherit" });
  execFileSync("buf", ["generate", "--output", scratch], { cwd: root, stdio: "inherit" });
  const expected = listFiles(path.join(scratch, "gen"));
  const actual = listFiles(path.join(root, "gen"));
  const stale = [...new Set([...expected, ...actual])].filter(
    (file) =>
      !expected.includes(file) ||
      !actual.includes(file) ||
      !readFileSync(path.join(scratch, "gen", file)).equals(
        readFileSync(path.join(root, "gen", file)),
      ),
  );
  if (stale.length > 0) {
    console.error(`gen/ is out of date with proto/ (run npm run generate): ${stale.join(", ")}`);
    process.exitCode = 1;
  } else {
    console.log("gen/ is in sync with proto/ and buf lint passes");
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}
