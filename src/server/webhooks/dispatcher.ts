/**
 * Outgoing webhooks: each engine event the subscriptions want becomes one job per subscription,
 * queued in memory under a bound and sent at least once. A verification's events go to a
 * subscription in order, even across retries: each (subscription, verification) pair is a queue
 * whose head must be delivered, or given up, before the next is sent. Different pairs are sent in
 * parallel, up to a concurrency bound. On shutdown the queue is drained until a deadline and what
 * is left is written to the spool, which the next start sends first.
 */
import { setMaxListeners } from "node:events";
import type { OtpEvent } from "../../contracts/events.js";
import { clearIdentifierOf } from "../../engine/event-bus.js";
import { matchesEvent, webhookTypeOf } from "./event-types.js";
import { webhookBody, webhookEventId } from "./payload.js";
import { sendWebhook, type SendOutcome, type WebhookJob } from "./send.js";
import type { SpooledJob, WebhookSpool } from "./spool.js";
import type { WebhookSubscription } from "./subscription.js";

/** Bounds and timings of a dispatcher; every one has a default. */
export interface WebhookDispatcherOptions {
  subscriptions: readonly WebhookSubscription[];
  /** Jobs held at most (queued, waiting to retry, in flight); beyond it new events are dropped and counted. Default 10,000. */
  maxQueued?: number;
  /** Requests in flight at most. Default 8. */
  concurrency?: number;
  /** Attempts per job before it is given up (counted as failed). Default 10. */
  maxAttempts?: number;
  /** One attempt's limit, answer included. Default 5000 ms. */
  timeoutMs?: number;
  /** The first retry's delay; each next one doubles, with jitter. Default 1000 ms. */
  baseDelayMs?: number;
  /** The longest wait before a retry, Retry-After included. Default 300,000 ms. */
  maxDelayMs?: number;
  /** Where pending jobs wait across a restart. Without one they are lost at shutdown. */
  spool?: WebhookSpool;
  /** Give-ups and spool problems; never a secret or a body. */
  log?: { warn(fields: Record<string, unknown>, message: string): void };
  /** Milliseconds since the epoch. Default Date.now. */
  now?: () => number;
  /** A number in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
}

/** The dispatcher's counts, for metrics and /health/otp. */
export interface WebhookStatus {
  /** Jobs held: queued, waiting to retry, or in flight. */
  queued: number;
  maxQueued: number;
  /** Requests in flight. */
  inFlight: number;
  /** Jobs a subscriber accepted (2xx). */
  delivered: number;
  /** Jobs given up: refused with a 4xx or a redirect, or out of attempts. */
  failed: number;
  /** Attempts that will be made again. */
  retries: number;
  /** Events dropped because the queue held its maximum. */
  dropped: number;
  /** When an event was last dropped (ms since the epoch), or null. */
  lastDroppedAt: number | null;
}

interface KeyQueue {
  subscription: WebhookSubscription;
  jobs: WebhookJob[];
  /** Its head is in flight or waiting for its retry. */
  busy: boolean;
}

export class WebhookDispatcher {
  readonly #subscriptions: readonly WebhookSubscription[];
  readonly #maxQueued: number;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #spool: WebhookSpool | undefined;
  readonly #log: WebhookDispatcherOptions["log"];
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #queues = new Map<string, KeyQueue>();
  /** Keys whose head may be sent now, oldest first. */
  readonly #ready: string[] = [];
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #held = 0;
  #idle: (() => void) | undefined;
  #closed: Promise<void> | undefined;
  #counts = { delivered: 0, failed: 0, retries: 0, dropped: 0, lastDroppedAt: null as number | null };

  constructor(options: WebhookDispatcherOptions) {
    this.#subscriptions = options.subscriptions;
    this.#maxQueued = options.maxQueued ?? 10_000;
    this.#concurrency = options.concurrency ?? 8;
    this.#maxAttempts = options.maxAttempts ?? 10;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#baseDelayMs = options.baseDelayMs ?? 1000;
    this.#maxDelayMs = options.maxDelayMs ?? 300_000;
    this.#spool = options.spool;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    // Each request in flight listens for the shutdown: as many listeners as the concurrency bound.
    setMaxListeners(this.#concurrency + 1, this.#abort.signal);
  }

  /** The listener to subscribe to the engine's events. */
  readonly publish = (event: OtpEvent): void => {
    const type = webhookTypeOf(event);
    // An event without a verification (a context that did not open) is noise anyone can make.
    if (type === undefined || event.id === undefined) return;
    const withId = event as OtpEvent & { id: string };
    let eventId: string | undefined;
    for (const subscription of this.#subscriptions) {
      if (!matchesEvent(subscription.events, type)) continue;
      eventId ??= webhookEventId(event);
      const identifier = subscription.includeIdentifier ? clearIdentifierOf(event) : undefined;
      const body = webhookBody(withId, type, eventId, identifier);
      this.#enqueue(subscription, { eventId, type, key: `${subscription.url.href} ${event.id}`, body, attempts: 0 });
    }
  };

  /** Queues what the last shutdown left in the spool, ahead of anything new. Call before subscribing. */
  async restore(): Promise<number> {
    if (!this.#spool) return 0;
    let jobs: SpooledJob[];
    try {
      jobs = await this.#spool.read();
    } catch (error) {
      this.#log?.warn({ error: (error as Error).message }, "the webhook spool could not be read; its events are not sent");
      return 0;
    }
    let restored = 0;
    for (const { url, ...job } of jobs) {
      const subscription = this.#subscriptions.find((candidate) => candidate.url.href === url);
      if (!subscription) continue;
      this.#enqueue(subscription, job);
      restored += 1;
    }
    if (restored < jobs.length)
      this.#log?.warn({ left: jobs.length - restored }, "webhook events spooled for subscriptions no longer configured were left out");
    return restored;
  }

  status(): WebhookStatus {
    return { queued: this.#held, maxQueued: this.#maxQueued, inFlight: this.#inFlight.size, ...this.#counts };
  }

  /**
   * Sends what it can until `deadlineMs` from now, then stops the requests in flight and writes
   * every job not delivered to the spool, in order. Resolves when the spool is written.
   */
  close(deadlineMs: number): Promise<void> {
    // Once: one drain and one spool write, however many callers wait for the shutdown.
    this.#closed ??= this.#drainAndSpool(deadlineMs);
    return this.#closed;
  }

  async #drainAndSpool(deadlineMs: number): Promise<void> {
    if (this.#held > 0) {
      const drained = new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      });
      await Promise.race([drained, deadline]);
      clearTimeout(timer);
    }
    this.#abort.abort();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all(this.#inFlight);
    const pending: SpooledJob[] = [];
    for (const queue of this.#queues.values()) for (const job of queue.jobs) pending.push({ ...job, url: queue.subscription.url.href });
    if (!this.#spool) {
      if (pending.length > 0) this.#log?.warn({ lost: pending.length }, "webhook events still pending at shutdown are lost (no spool)");
      return;
    }
    try {
      await this.#spool.write(pending);
    } catch (error) {
      this.#log?.warn({ lost: pending.length, error: (error as Error).message }, "the webhook spool could not be written");
    }
  }

  #enqueue(subscription: WebhookSubscription, job: WebhookJob): void {
    if (this.#held >= this.#maxQueued) {
      this.#counts.dropped += 1;
      this.#counts.lastDroppedAt = this.#now();
      return;
    }
    this.#held += 1;
    let queue = this.#queues.get(job.key);
    if (!queue) this.#queues.set(job.key, (queue = { subscription, jobs: [], busy: false }));
    queue.jobs.push(job);
    if (queue.jobs.length === 1 && !queue.busy) {
      this.#ready.push(job.key);
      this.#pump();
    }
  }

  #pump(): void {
    if (this.#abort.signal.aborted) return;
    while (this.#inFlight.size < this.#concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift()!;
      const queue = this.#queues.get(key);
      if (!queue || queue.busy || queue.jobs.length === 0) continue;
      queue.busy = true;
      const running = this.#attempt(key, queue).finally(() => {
        this.#inFlight.delete(running);
        this.#pump();
      });
      this.#inFlight.add(running);
    }
  }

  async #attempt(key: string, queue: KeyQueue): Promise<void> {
    const job = queue.jobs[0]!;
    job.attempts += 1;
    const outcome = await sendWebhook(queue.subscription, job, {
      timeoutMs: this.#timeoutMs,
      signal: this.#abort.signal,
      nowMs: this.#now(),
    }).catch((): SendOutcome => ({ kind: "retry" }));
    if (outcome.kind === "delivered") {
      this.#counts.delivered += 1;
      return this.#next(key, queue);
    }
    if (outcome.kind === "retry" && job.attempts < this.#maxAttempts) {
      // Stopped: the job stays at the head of its queue for the spool.
      if (this.#abort.signal.aborted) {
        queue.busy = false;
        return;
      }
      this.#counts.retries += 1;
      const delayMs = Math.min(
        this.#maxDelayMs,
        outcome.retryAfterMs ?? backoffMs(job.attempts, this.#baseDelayMs, this.#maxDelayMs, this.#random),
      );
      const timer = setTimeout(() => {
        this.#timers.delete(key);
        queue.busy = false;
        this.#ready.push(key);
        this.#pump();
      }, delayMs);
      timer.unref();
      this.#timers.set(key, timer);
      return;
    }
    this.#counts.failed += 1;
    this.#log?.warn(
      {
        webhook: queue.subscription.url.origin,
        eventId: job.eventId,
        type: job.type,
        attempts: job.attempts,
        status: outcome.status ?? null,
      },
      outcome.kind === "rejected" ? "webhook event refused by its subscriber; given up" : "webhook event out of attempts; given up",
    );
    this.#next(key, queue);
  }

  /** The head is done with: on to the next job of the same key, after every other key waiting. */
  #next(key: string, queue: KeyQueue): void {
    queue.jobs.shift();
    queue.busy = false;
    this.#held -= 1;
    if (queue.jobs.length > 0) this.#ready.push(key);
    else this.#queues.delete(key);
    if (this.#held === 0) this.#idle?.();
  }
}

/**
 * The wait before retry number `attempts`: exponential from `baseMs`, capped at `maxMs`, half of
 * it random ("equal jitter"), so that subscribers coming back are not hit by every retry at once.
 */
export function backoffMs(attempts: number, baseMs: number, maxMs: number, random: () => number): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}
