import { OtpError } from "../core/errors.js";
import type { Otp } from "../engine/types.js";
import type { OtpEvent } from "../contracts/events.js";
import { OTP_OPERATIONS, wrapOperations, type OtpOperation } from "../telemetry/wrap.js";
import type { AuditLog, AuditRecord } from "./audit-log.js";
import { AUDITED_EVENT_TYPES, auditRecordFromEvent } from "./record-from-event.js";

/** Options of `attachAuditLog`: batching, the memory bound, and what happens past it. */
export interface AuditRecorderOptions {
  /** Records per write. Default 200. */
  batchSize?: number;
  /** A partial batch is written at least this often. Default 250 ms. */
  flushIntervalMs?: number;
  /**
   * Records held in memory at most, buffered and being written together: what a crash can lose at
   * worst. Past it the oldest are dropped (and counted in `dropped`) rather than growing memory
   * without bound, unless `strict`. Default 50,000.
   */
  maxBuffered?: number;
  /**
   * Never drop a record: once `maxBuffered` are held the recorder is `full`, and the engine that
   * `refuseWhenFull(otp)` returns refuses new codes and checks (STORE_UNAVAILABLE) until the log
   * catches up. Records of operations already under way are still kept. Default false.
   */
  strict?: boolean;
  /** Held records from which `status()` reports the log as degraded. Default a tenth of `maxBuffered`. */
  degradedAt?: number;
  /** Delete rows older than this many days, once at start and then every `purgeIntervalMs`. Off by default. */
  retentionDays?: number;
  /** Default one hour. */
  purgeIntervalMs?: number;
  /** A failed write or purge. The records stay buffered and are tried again. Default: ignored. */
  onError?: (error: unknown) => void;
  /** Records dropped because `maxBuffered` were held (never called when `strict`). */
  onDrop?: (records: number) => void;
}

/** How the recorder is doing, for health checks and metrics. */
export interface AuditRecorderStatus {
  /** "degraded": `degradedAt` records or more are held, or the latest write failed; "full": `maxBuffered` are held. */
  state: "ok" | "degraded" | "full";
  /** Records held: buffered and being written. */
  held: number;
  /** Records held at most. */
  maxBuffered: number;
  /** Records held from which the state is degraded. */
  degradedAt: number;
  /** Whether operations are refused (rather than rows dropped) when full. */
  strict: boolean;
  /** The latest write failed (its records are held and tried again). */
  failing: boolean;
  /** Records dropped because the buffer was full. */
  dropped: number;
  /** Writes that failed. */
  writeFailures: number;
  /** Operations refused by `refuseWhenFull` engines. */
  refused: number;
}

/** What `attachAuditLog` returns: the recorder feeding the log from the engine's events. */
export interface AuditRecorder {
  /**
   * Writes everything buffered or being written when called (records that arrive meanwhile are
   * left to the next batch); rejects if the log refuses (the records stay buffered).
   */
  flush(): Promise<void>;
  /** Stops listening and timers, then flushes. The log itself stays open: close it after. */
  close(): Promise<void>;
  /** Records buffered or being written, not yet stored. */
  readonly pending: number;
  /** Records dropped because the buffer was full. */
  readonly dropped: number;
  /** Writes that failed (their records were kept and tried again). */
  readonly writeFailures: number;
  /** `maxBuffered` records are held. */
  readonly full: boolean;
  /** How the recorder is doing. */
  status(): AuditRecorderStatus;
  /**
   * `otp` with its new codes and checks (generate, start, resend, regenerate, verify) refused with
   * STORE_UNAVAILABLE while the recorder is `full`: nothing is done that would go unrecorded.
   * Revoking still works. Pair it with `strict`.
   */
  refuseWhenFull(otp: Otp): Otp;
}

/** What a refused operation answers: a 503, with nothing done. */
const AUDIT_FULL_MESSAGE = "The audit log is not keeping up; nothing was done. Try again shortly.";

/**
 * What a full strict log refuses: every operation that issues a code, checks one or opens a way in
 * (an operator's unlock, an authenticator app's factor): none of them may happen unrecorded.
 * Cancelling (`revoke`, `cancel`) only ends a verification, so it is never held back.
 */
const REFUSED_WHEN_FULL: ReadonlySet<OtpOperation> = new Set(
  OTP_OPERATIONS.filter((operation) => operation !== "revoke" && operation !== "cancel"),
);
/** The most records one `append` carries. */
const MAX_ROWS_PER_WRITE = 5_000;
/** Writes under way at once, at most. */
const MAX_WRITES_IN_FLIGHT = 4;

/**
 * Feeds the audit log from the engine's events. The listener only maps and buffers (no I/O on
 * the check path); writes go out in batches, a few at a time, and `close()` writes what is left.
 */
export function attachAuditLog(otp: Pick<Otp, "on">, log: AuditLog, options: AuditRecorderOptions = {}): AuditRecorder {
  return new Recorder(otp, log, options);
}

class Recorder implements AuditRecorder {
  readonly #log: AuditLog;
  readonly #batchSize: number;
  readonly #maxBuffered: number;
  readonly #degradedAt: number;
  readonly #strict: boolean;
  readonly #onError: (error: unknown) => void;
  readonly #onDrop: (records: number) => void;
  readonly #unsubscribe: () => void;
  readonly #flushTimer: NodeJS.Timeout;
  readonly #purgeTimer: NodeJS.Timeout | undefined;
  #buffer: AuditRecord[] = [];
  /** Writes under way, and the records they carry. */
  readonly #writes = new Set<Promise<void>>();
  #inFlight = 0;
  #dropped = 0;
  #writeFailures = 0;
  #failing = false;
  #refused = 0;

  constructor(otp: Pick<Otp, "on">, log: AuditLog, options: AuditRecorderOptions) {
    this.#log = log;
    this.#batchSize = positiveInteger("batchSize", options.batchSize ?? 200);
    this.#maxBuffered = positiveInteger("maxBuffered", options.maxBuffered ?? 50_000);
    this.#degradedAt = positiveInteger("degradedAt", options.degradedAt ?? Math.max(1, Math.ceil(this.#maxBuffered / 10)));
    this.#strict = options.strict ?? false;
    if (typeof this.#strict !== "boolean") throw new TypeError("otp-actions: audit strict must be a boolean");
    this.#onError = options.onError ?? (() => undefined);
    this.#onDrop = options.onDrop ?? (() => undefined);
    const flushIntervalMs = positiveInteger("flushIntervalMs", options.flushIntervalMs ?? 250);
    // Only the types it keeps: the engine skips building events nobody listens to.
    const listener = (event: OtpEvent) => this.#add(event);
    const unsubscribers = AUDITED_EVENT_TYPES.map((type) => otp.on(type, listener));
    this.#unsubscribe = () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
    };
    // Unref'd: an idle recorder never keeps the process alive; close() writes the remainder.
    this.#flushTimer = setInterval(() => this.#startWrite()?.catch(this.#onError), flushIntervalMs).unref();
    if (options.retentionDays !== undefined) {
      const days = options.retentionDays;
      if (typeof days !== "number" || !(days > 0)) throw new TypeError("otp-actions: audit retentionDays must be a positive number");
      const purge = () => void log.purge(days).catch(this.#onError);
      purge();
      this.#purgeTimer = setInterval(purge, positiveInteger("purgeIntervalMs", options.purgeIntervalMs ?? 3_600_000)).unref();
    }
  }

  get pending(): number {
    return this.#buffer.length + this.#inFlight;
  }

  get dropped(): number {
    return this.#dropped;
  }

  get writeFailures(): number {
    return this.#writeFailures;
  }

  get full(): boolean {
    return this.pending >= this.#maxBuffered;
  }

  status(): AuditRecorderStatus {
    const held = this.pending;
    const state = held >= this.#maxBuffered ? "full" : held >= this.#degradedAt || this.#failing ? "degraded" : "ok";
    return {
      state,
      held,
      maxBuffered: this.#maxBuffered,
      degradedAt: this.#degradedAt,
      strict: this.#strict,
      failing: this.#failing,
      dropped: this.#dropped,
      writeFailures: this.#writeFailures,
      refused: this.#refused,
    };
  }

  refuseWhenFull(otp: Otp): Otp {
    return wrapOperations(otp, (operation, _input, run) => {
      if (!REFUSED_WHEN_FULL.has(operation) || !this.full) return run();
      this.#refused += 1;
      return Promise.reject(
        new OtpError("STORE_UNAVAILABLE", {
          message: AUDIT_FULL_MESSAGE,
          cause: new Error(`the audit log holds its maximum of ${this.#maxBuffered} rows`),
        }),
      );
    });
  }

  async flush(): Promise<void> {
    // What is buffered or being written now. Records that arrive meanwhile are left to the batch
    // size and the timer: under steady traffic the buffer is never empty, and a flush that waited
    // for that would not end. A failed write ends it (its records are buffered again).
    const writes = [...this.#writes];
    let owed = this.#buffer.length;
    while (owed > 0 && this.#buffer.length > 0) {
      const size = Math.min(this.#buffer.length, MAX_ROWS_PER_WRITE);
      const write = this.#startWrite();
      if (write) {
        writes.push(write);
        owed -= size;
      } else {
        await Promise.race(this.#writes); // MAX_WRITES_IN_FLIGHT are under way: wait for one
      }
    }
    await Promise.all(writes);
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    clearInterval(this.#flushTimer);
    clearInterval(this.#purgeTimer);
    await this.flush();
  }

  #add(event: OtpEvent): void {
    const record = auditRecordFromEvent(event);
    if (!record) return;
    this.#buffer.push(record);
    this.#trim();
    // A write starts once a batch is buffered and at least as many records as are already being
    // written: while the log is slower than the events, each write is larger than the last, so
    // it catches up with few writes under way (and few pool connections taken).
    const buffered = this.#buffer.length;
    if (buffered >= this.#batchSize && buffered >= this.#inFlight) this.#startWrite()?.catch(this.#onError);
  }

  /** A write of what is buffered, unless nothing is or MAX_WRITES_IN_FLIGHT are already under way. */
  #startWrite(): Promise<void> | undefined {
    return this.#buffer.length > 0 && this.#writes.size < MAX_WRITES_IN_FLIGHT ? this.#write() : undefined;
  }

  /** Writes what is buffered (up to MAX_ROWS_PER_WRITE); on failure the records go back to the front. */
  #write(): Promise<void> {
    const batch = this.#buffer.splice(0, MAX_ROWS_PER_WRITE);
    this.#inFlight += batch.length;
    let appending: Promise<void>;
    try {
      appending = this.#log.append(batch);
    } catch (error) {
      appending = Promise.reject(error);
    }
    const write: Promise<void> = appending.then(
      () => {
        this.#inFlight -= batch.length;
        this.#writes.delete(write);
        this.#failing = false;
      },
      (error: unknown) => {
        // Back in the buffer before anything is trimmed: held once, not twice.
        this.#inFlight -= batch.length;
        this.#writes.delete(write);
        this.#writeFailures += 1;
        this.#failing = true;
        this.#buffer.unshift(...batch);
        this.#trim();
        throw error;
      },
    );
    this.#writes.add(write);
    return write;
  }

  /**
   * Drops the oldest buffered records once more than maxBuffered are held (buffered and being
   * written), a tenth of the bound at a time so it is not paid per record. Strict keeps them all.
   */
  #trim(): void {
    if (this.#strict || this.pending <= this.#maxBuffered) return;
    const dropped = Math.min(this.#buffer.length, this.pending - this.#maxBuffered + Math.floor(this.#maxBuffered / 10));
    if (dropped === 0) return;
    this.#buffer.splice(0, dropped);
    this.#dropped += dropped;
    try {
      this.#onDrop(dropped);
    } catch {
      // A listener's failure is not the engine's: #trim runs inside an event listener.
    }
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`otp-actions: audit ${name} must be a positive integer`);
  return value;
}
