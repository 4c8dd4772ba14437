import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe } from "vitest";
import { sqliteCounters } from "../../src/index.js";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { backendSuite } from "../helpers/guard-backend-suite.js";

let directory: string;
let database: Database.Database;
const table = (name: string) => `${name}_${randomBytes(4).toString("hex")}`;

/** A ledger on the counters' own connection, in a table of its own, as createOtp wires it by default. */
async function ledger() {
  const store = sqliteStore({ database, tableName: table("ledger") });
  await store.migrate();
  return store;
}

describe("sqlite backend", () => {
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), "otp-guard-"));
    database = new Database(join(directory, "limits.db"));
    database.pragma("journal_mode = WAL");
  });
  afterAll(() => {
    database.close();
    rmSync(directory, { recursive: true, force: true });
  });
  backendSuite("sqlite", { counters: async () => sqliteCounters({ database, tableName: table("counters") }) });
  backendSuite("sqlite, with the ledger on the same connection", {
    counters: async () => sqliteCounters({ database, tableName: table("counters") }),
    store: ledger,
  });
});
