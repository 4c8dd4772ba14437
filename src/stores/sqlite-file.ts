import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";

/**
 * Opens (creating its directory) a SQLite file the way every otp-actions table wants it: WAL, so a
 * writer never blocks readers and commits are appends, and NORMAL synchronisation, durable across
 * a process crash (not a power cut), the usual WAL trade-off.
 */
export function openSqliteFile(path: string): BetterSqlite3.Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  return database;
}
