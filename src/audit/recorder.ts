import { randomBytes } from "node:crypto";
import { normalizeIdentifier, type IdentifierKind } from "../core/identifiers.js";
import type { Otp } from "../otp.js";
import type { OtpEvent } from "../telemetry/events.js";
import type { AuditAction, AuditFilter, AuditLog, AuditRecord } from "./audit-log.js";

export interface AuditRecorderOptions {
  /** Records per write. Default 200. */
  batchSize?: number;
  /** A partial batch is written at least this often. Default 250 ms. */
  flushIntervalMs?: number;
  /**
   * Records held while the log is slow or down; past this the oldest are dropped (and counted in
   * `dropped`) rather than growing memory without bound. Default 50,000.
   */
  maxBuffered?: number;
  /** Delete rows older than this many days, once at start and then every `purgeIntervalMs`. Off by default. */
  retentionDays?: number;
  /** Default one hour. */
  purgeIntervalMs?: number;
  /** A failed write or purge. The records stay buffered and are tried again. Default: ignored. */
  onError?: (error: unknown) => void;
}

export interface AuditRecorder {
  /**
   * Writes everything buffered or being written when called (records that arrive meanwhile are
   * left to the next batch); rejects if the log refuses (the records stay buffered).
   */
  flush(): Promise<void>;
  /** Stops listening and timers, then flushes. The log itself stays open: close it after. */
  close(): Promise<void>;
  /** Records buffered and not yet written. */
  readonly pending: number;
  /** Records dropped because the buffer was full. */
  readonly dropped: number;
}

/** The most records one `append` carries. */
const MAX_ROWS_PER_WRITE = 5_000;
/** Writes under way at once, at most. */
const MAX_WRITES_IN_FLIGHT = 4;

/** What each engine event becomes in the audit log, and its status when the event has no reason. */
const ACTIONS: Partial<Record<OtpEvent["type"], { action: AuditAction; status: string }>> = {
  generated: { action: "generated", status: "pending" },
  delivered: { action: "delivered", status: "delivered" },
  delivery_failed: { action: "delivery_failed", status: "DELIVERY_FAILED" },
  succeeded: { action: "verified", status: "approved" },
  failed: { action: "failed", status: "FAILED" },
  exhausted: { action: "exhausted", status: "MAX_RETRIES_EXCEEDED" },
  revoked: { action: "revoked", status: "canceled" },
  rate_limited: { action: "rate_limited", status: "RATE_LIMITED" },
  locked_out: { action: "rate_limited", status: "LOCKED_OUT" },
  // validation_attempt is left out: every check also emits succeeded or failed.
};

/**
 * A UUIDv7 whose timestamp is the event's time: ids sort in time order, so every index on them
 * grows at its right edge (cheap appends) instead of splitting pages at random.
 *
 * Its 12-bit `rand_a` field is a counter and its 62-bit `rand_b` is random, drawn afresh each
 * time the counter wraps (RFC 9562 §6.2, a fixed-length dedicated counter): ids sharing a random
 * part differ in their counter, and two random parts meet with odds of 2^-62. An id is made on
 * every audited check, so it is built from cached pieces instead of hex-encoding 16 fresh bytes
 * (a quarter of the cost). Event ids say nothing secret: the time is in the row already.
 */
export function timeOrderedId(atMs: number): string {
  if (sequence === SEQUENCE_HEX.length) {
    const random = randomBytes(8);
    random[0] = (random[0]! & 0x3f) | 0x80; // the variant bits, 10
    const hex = random.toString("hex");
    randomPart = `-${hex.slice(0, 4)}-${hex.slice(4)}`;
    sequence = 0;
  }
  const ms = Math.max(0, Math.min(Math.floor(atMs), 2 ** 48 - 1));
  if (ms !== prefixMs) {
    const hex = ms.toString(16).padStart(12, "0");
    prefix = `${hex.slice(0, 8)}-${hex.slice(8)}-7`;
    prefixMs = ms;
  }
  return prefix + SEQUENCE_HEX[sequence++]! + randomPart;
}

const SEQUENCE_HEX = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, "0"));
let sequence = SEQUENCE_HEX.length;
let randomPart = "";
let prefixMs = -1;
let prefix = "";

/** One audit row from one engine event; undefined for events the audit log does not keep. */
export function auditRecordFromEvent(event: OtpEvent): AuditRecord | undefined {
  const mapped = ACTIONS[event.type];
  if (!mapped) return undefined;
  let metadata: Record<string, unknown> | null = event.metadata ?? null;
  if (event.limit !== undefined || event.retryAfterSeconds !== undefined) {
    metadata = { ...metadata, ...(event.limit !== undefined && { limit: event.limit }), ...(event.retryAfterSeconds !== undefined && { retryAfterSeconds: event.retryAfterSeconds }) };
  }
  return {
    eventId: timeOrderedId(event.at),
    verificationId: event.id ?? null,
    action: mapped.action,
    status: event.reason ?? mapped.status,
    purpose: event.purpose ?? null,
    channel: event.channel ?? null,
    identifierHash: event.identifierHash ?? null,
    identifierMasked: event.identifier ?? null,
    attempts: event.attempts ?? null,
    metadata,
    clientIp: event.client?.ip ?? null,
    userAgent: event.client?.userAgent ?? null,
    traceId: event.traceId ?? null,
    at: new Date(event.at),
  };
}

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
  readonly #onError: (error: unknown) => void;
  readonly #unsubscribe: () => void;
  readonly #flushTimer: NodeJS.Timeout;
  readonly #purgeTimer: NodeJS.Timeout | undefined;
  #buffer: AuditRecord[] = [];
  /** Writes under way, and the records they carry. */
  readonly #writes = new Set<Promise<void>>();
  #inFlight = 0;
  #dropped = 0;

  constructor(otp: Pick<Otp, "on">, log: AuditLog, options: AuditRecorderOptions) {
    this.#log = log;
    this.#batchSize = positiveInteger("batchSize", options.batchSize ?? 200);
    this.#maxBuffered = positiveInteger("maxBuffered", options.maxBuffered ?? 50_000);
    this.#onError = options.onError ?? (() => undefined);
    const flushIntervalMs = positiveInteger("flushIntervalMs", options.flushIntervalMs ?? 250);
    // Only the types it keeps: the engine skips building events nobody listens to.
    const listener = (event: OtpEvent) => this.#add(event);
    const unsubscribers = (Object.keys(ACTIONS) as OtpEvent["type"][]).map((type) => otp.on(type, listener));
    this.#unsubscribe = () => unsubscribers.forEach((unsubscribe) => unsubscribe());
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
    const write: Promise<void> = this.#log
      .append(batch)
      .catch((error: unknown) => {
        this.#buffer.unshift(...batch);
        this.#trim();
        throw error;
      })
      .finally(() => {
        this.#inFlight -= batch.length;
        this.#writes.delete(write);
      });
    this.#writes.add(write);
    return write;
  }

  /** Drops the oldest records past the bound, a tenth of it at a time so it is not paid per record. */
  #trim(): void {
    if (this.#buffer.length <= this.#maxBuffered) return;
    // Never more than is buffered: a tenth of the bound is at most the bound.
    const dropped = this.#buffer.length - this.#maxBuffered + Math.floor(this.#maxBuffered / 10);
    this.#buffer.splice(0, dropped);
    this.#dropped += dropped;
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`otp-actions: audit ${name} must be a positive integer`);
  return value;
}

/**
 * A filter for one person's rows: their identifier, normalised as the engine does and hashed under
 * every configured key, so rows written before a key rotation are found too.
 */
export function auditFilterForIdentifier(otp: Pick<Otp, "keyring">, identifier: string, filter: AuditFilter = {}, kind?: IdentifierKind): AuditFilter {
  const normalized = normalizeIdentifier(identifier, kind ? { kind } : {});
  return { ...filter, identifierHash: otp.keyring.identifierHashes(normalized.value) };
}
