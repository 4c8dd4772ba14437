import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { runStoreConformance } from "../../src/testing/index.js";

const dir = mkdtempSync(join(tmpdir(), "otp-sqlite-"));
const path = join(dir, "nested", "otp.db");

runStoreConformance(
  "sqlite",
  async () => ({ store: sqliteStore({ path }), teardown: async () => rmSync(dir, { recursive: true, force: true }) }),
  {
    // A second connection to the same file, as a second process on the machine would open.
    sibling: async () => ({ store: sqliteStore({ path }) }),
  },
);
