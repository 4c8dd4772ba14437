import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe } from "vitest";
import { backendSuite } from "./backend-suite.js";

let directory: string;
let database: Database.Database;

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
  backendSuite("sqlite", { backend: async () => ({ backend: { kind: "sqlite", database }, keyPrefix: `t${randomBytes(4).toString("hex")}` }) });
});
