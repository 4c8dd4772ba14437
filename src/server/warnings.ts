/**
 * Warnings folded by cause: the first of a cause is written at once, the ones that follow within
 * the window are counted, and when the window ends one line carries the latest of them with
 * `folded`, the number it stands for. A steady stream of one cause is so one line a second, not
 * one per request: a 10 s store outage at 400 requests a second is ten lines, not 4,000.
 */

/** The part of a pino logger a folded warning is written to. */
export interface WarnLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface WarningFolderOptions {
  /** Default 1,000 ms. */
  windowMs?: number;
  /** Causes folded at once; a warning of any further cause is written unfolded. Default 100. */
  maxCauses?: number;
}

interface Window {
  folded: number;
  latest?: { log: WarnLogger; fields: Record<string, unknown>; message: string };
}

export class WarningFolder {
  readonly #windowMs: number;
  readonly #maxCauses: number;
  readonly #windows = new Map<string, Window>();

  constructor(options: WarningFolderOptions = {}) {
    this.#windowMs = options.windowMs ?? 1000;
    this.#maxCauses = options.maxCauses ?? 100;
  }

  /** Writes `message` at warn through `log`, or counts it if a line for `cause` went out within the window. */
  warn(log: WarnLogger, cause: string, fields: Record<string, unknown>, message: string): void {
    const window = this.#windows.get(cause);
    if (window) {
      window.folded += 1;
      window.latest = { log, fields, message };
      return;
    }
    if (this.#windows.size < this.#maxCauses) this.#open(cause);
    write(log, fields, message);
  }

  #open(cause: string): void {
    this.#windows.set(cause, { folded: 0 });
    // Unref'd: a pending summary never keeps the process alive.
    setTimeout(() => this.#close(cause), this.#windowMs).unref();
  }

  /** Ends a window: writes its summary and opens the next, or forgets the cause if it went quiet. */
  #close(cause: string): void {
    const window = this.#windows.get(cause);
    this.#windows.delete(cause);
    if (!window?.latest) return;
    this.#open(cause);
    const { log, fields, message } = window.latest;
    write(log, { ...fields, folded: window.folded }, message);
  }
}

/** A logger's failure is never the caller's: a warning is written from error paths and timers. */
function write(log: WarnLogger, fields: Record<string, unknown>, message: string): void {
  try {
    log.warn(fields, message);
  } catch {
    // Nothing to do: the warning is lost, the request or timer goes on.
  }
}
