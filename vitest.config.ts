import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Generous: the race tests drive hundreds of real transactions on a shared 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
