#!/usr/bin/env node
// The `flowgate` command. The CLI is TypeScript that Node runs directly (type stripping,
// Node >= 22.18); this shim only says so clearly on an older Node instead of failing on
// the .ts import. From a clone, `npx flowgate` runs it on the project's pinned Node 24.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `flowgate: needs Node.js 22.18 or newer (this is ${process.version}); from a clone, run it as \`npx flowgate\`\n`,
  );
  process.exit(2);
}
await import("../src/cli/main.ts");
