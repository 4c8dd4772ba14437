import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe } from "vitest";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { backendSuite } from "./backend-suite.js";

let directory: string;
let database: Database.Database;
const keyPrefix = () => `t${randomBytes(4).toString("hex")}`;

/** A ledger on the guard's own connection, in a table of its own. */
async function ledger() {
  const store = sqliteStore({ database, tableName: `ledger_${randomBytes(4).toString("hex")}` });
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
  backendSuite("sqlite", { backend: async () => ({ backend: { kind: "sqlite", database }, keyPrefix: keyPrefix() }) });
  // The same limits when the ledger shares the guard's connection: one transaction per check.
  backendSuite("sqlite, with the ledger on the same connection", { backend: async () => ({ backend: { kind: "sqlite", database }, keyPrefix: keyPrefix() }), store: ledger });

});
