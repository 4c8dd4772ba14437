// In drivers/, not stores/: the SQLite ledger, the guard's counters and the audit log all use it.
import { closeSync, mkdirSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";

// Loaded when a file is opened, not when this module is: the guard's counters import the lock
// waits below from the package's main entry, which must load without the optional driver.
const load = createRequire(import.meta.url);

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
  const Database = load("better-sqlite3") as typeof BetterSqlite3;
  const database = new Database(path);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  return database;
}

/**
 * How long one attempt at a write may wait, blocking the event loop, for another connection's
 * write lock (SQLite's busy_timeout). A longer wait is made of such attempts, scheduled on the
 * event loop, so everything else the process serves goes on meanwhile.
 */
export const SQLITE_BUSY_WAIT_MS = 2;
/** Pause between two attempts while another connection holds the write lock. */
const RETRY_EVERY_MS = 2;

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

/**
 * Runs `operation` (applied in full or not at all: one statement or one transaction) once the
 * write lock is free, trying again from a timer while another connection holds it. An attempt is
 * started only while its whole wait fits before `deadlineMs`; past it, `timedOut()` is thrown and
 * nothing was applied.
 */
export function whenUnlocked<T>(deadlineMs: number, operation: () => T, timedOut: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const attempt = (): void => {
      if (Date.now() + SQLITE_BUSY_WAIT_MS >= deadlineMs) {
        reject(timedOut());
        return;
      }
      try {
        resolve(operation());
      } catch (error) {
        if (isBusy(error)) setTimeout(attempt, RETRY_EVERY_MS);
        else reject(error);
      }
    };
    attempt();
  });
}
