/**
 * Summarises a .cpuprofile: top functions by self time, and self time grouped by package
 * (or by our own source directory). `node bench/profile-top.ts <file.cpuprofile> [n]`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, limit = "30"] = process.argv.slice(2);
/** This checkout's root as profile URLs name it (`file:///…/`). */
const ROOT = `file://${path.dirname(import.meta.dirname)}/`;
if (file === undefined) throw new Error("usage: node bench/profile-top.ts <file.cpuprofile> [n]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url.replace(ROOT, "").replace(/^.*node_modules\//, "");
  const key = `${functionName || "(anonymous)"}  ${where}${where ? `:${lineNumber + 1}` : ""}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  byArea.set(area(url, functionName), (byArea.get(area(url, functionName)) ?? 0) + us);
}

function area(url: string, fn: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = new RegExp(`^${ROOT}((?:src|gen|bench)(?:/[^/]+)?)`).exec(url);
  if (own) return own[1]!;
  if (url.startsWith("node:")) return url;
  return fn.startsWith("(") ? fn : "(native/builtin)";
}

const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`total sampled ${(total / 1000).toFixed(0)} ms\n\nself time by area:`);
for (const [key, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log(`${pct(us)}  ${key}`);
console.log(`\ntop ${limit} functions by self time:`);
for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(limit)))
  console.log(`${pct(us)}  ${key}`);
