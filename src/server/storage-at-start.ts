/**
 * What a start does with its storage before it serves. A store that answers and lacks its tables
 * refuses the start in production, naming what is missing and `otp-actions migrate`, unless
 * OTP_AUTO_MIGRATE asks for the migration at start (development always migrates). A store that
 * does not answer is reported in one line and the service starts anyway, /health/ready false; it
 * is asked again every second, and migrated or checked once it answers.
 */
import type { LedgerStore } from "../contracts/ledger.js";
import { describeError } from "./health.js";
import { describeMissing, inspectParts, migrateParts, type SchemaPart } from "./migrations.js";

export interface StorageAtStartOptions {
  store: LedgerStore;
  /** The store's printable description (no password). */
  storeWhere: string;
  parts: readonly SchemaPart[];
  /** Migrate at start rather than refuse: development, or OTP_AUTO_MIGRATE=true. */
  autoMigrate: boolean;
  say: (line: string) => void;
  /** How often storage that did not answer is asked again. Default 1000 ms. */
  retryMs?: number;
}

/** A start refused for its storage: the message says what to do. */
export class StorageNotReadyError extends Error {
  override readonly name = "StorageNotReadyError";
}

const DEFAULT_RETRY_MS = 1000;

/**
 * Checks (and where asked, migrates) the storage; throws StorageNotReadyError when production
 * must not start. Resolves with a function that stops asking storage that has not answered yet.
 */
export async function prepareStorage(options: StorageAtStartOptions): Promise<() => void> {
  const { store, say, autoMigrate } = options;
  // A part with no catalog to read (Redis's scripts, loaded again on first use anyway) only
  // needs its store to answer; a store with no part at all is asked the same.
  const answers = () => store.health().then(() => true);
  const parts = options.parts.map((part) => (part.migrated ? part : { ...part, migrated: answers }));
  if (!parts.some((part) => part.of === "store"))
    parts.unshift({ name: "store", where: options.storeWhere, of: "store", migrated: answers });

  const state = await inspectParts(parts);
  const answering = parts.filter((part) => !state.unreachable.some((entry) => entry.part === part));
  if (state.missing.length > 0 && !autoMigrate) throw new StorageNotReadyError(notMigrated(state.missing));
  if (autoMigrate) {
    try {
      await migrateParts(answering);
    } catch (error) {
      throw new StorageNotReadyError(`the migration at start failed (${reason(error)}); run \`otp-actions migrate\` to see why`);
    }
  }
  if (state.unreachable.length === 0) return () => undefined;

  // One line per storage: an audit log on the store's own connection is the store.
  const reported = new Set<string>();
  for (const { part, error } of state.unreachable) {
    if (reported.has(part.where)) continue;
    reported.add(part.where);
    say(`warning: ${label(part)} is not reachable at start (${reason(error)}); serving with /health/ready false until it answers`);
  }

  let waiting = state.unreachable.map((entry) => entry.part);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const again = async () => {
    const retry = await inspectParts(waiting);
    if (stopped) return;
    const back = waiting.filter((part) => !retry.unreachable.some((entry) => entry.part === part));
    waiting = waiting.filter((part) => !back.includes(part));
    if (back.length > 0) await settle(options, back, retry.missing);
  };
  const schedule = () => {
    if (stopped || waiting.length === 0) return;
    timer = setTimeout(() => void again().finally(schedule), options.retryMs ?? DEFAULT_RETRY_MS);
    // Asking again never holds the process open.
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Storage that answers again: said so, then migrated when asked, else checked. */
async function settle(options: StorageAtStartOptions, back: readonly SchemaPart[], missing: readonly SchemaPart[]): Promise<void> {
  const { say } = options;
  const said = new Set<string>();
  for (const part of back) {
    if (said.has(part.where)) continue;
    said.add(part.where);
    say(`${label(part)} answers now`);
  }
  if (options.autoMigrate) {
    await migrateParts(back).catch((error: unknown) =>
      say(`error: the migration failed (${reason(error)}); /health/ready stays false until \`otp-actions migrate\` runs`),
    );
    return;
  }
  if (missing.length > 0) say(`error: ${notMigrated(missing)}; /health/ready stays false until it is`);
}

function label(part: SchemaPart): string {
  return `${part.of === "store" ? "store" : "audit log"} ${part.where}`;
}

/** The error's message as the log may carry it: no credentials from a URL, bounded. */
function reason(error: unknown): string {
  return String(describeError(error).message);
}

function notMigrated(missing: readonly SchemaPart[]): string {
  return `the store is not migrated: missing ${describeMissing(missing)}. Run \`otp-actions migrate\` with the same OTP_STORE (and OTP_AUDIT_URL) before starting, or set OTP_AUTO_MIGRATE=true to migrate at start`;
}
