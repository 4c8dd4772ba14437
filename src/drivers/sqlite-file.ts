// In drivers/, not stores/: the SQLite ledger and the SQLite audit log both open their files through it.
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";

/**
 * Opens (creating its directory) a SQLite file the way every otp-actions table wants it: WAL, so a
 * writer never blocks readers and commits are appends, and NORMAL synchronisation, durable across
 * a process crash (not a power cut), the usual WAL trade-off.
 *
 * A new directory is 0700 and a new file 0600: the audit log holds client IPs, user agents and
 * metadata, and the ledger which verifications are live. SQLite gives its WAL and shared-memory
 * files the database file's mode. Existing files keep theirs.
 */
export function openSqliteFile(path: string): BetterSqlite3.Database {
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, "a", 0o600));
  }
  const database = new Database(path);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  return database;
}
