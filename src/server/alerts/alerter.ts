/**
 * Evaluates the alert rules on the audit log every interval, keeps which alerts fire, and posts
 * each change (firing, resolved) to a webhook, signed as the webhook channel signs its
 * deliveries (X-OTP-Signature), with a few retries. Rules can be replaced at run time, and are
 * read again from where they are saved before each evaluation (see rules-in-force.ts).
 */
import type { AuditLog } from "../../audit/audit-log.js";
import { signWebhookPayload, WEBHOOK_SIGNATURE_HEADER } from "../../channels/webhook-signature.js";
import { fires, ruleValue } from "./aggregates.js";
import { checkedAlertRules, type AlertRule } from "./rules.js";

/** Where alert changes are posted. */
export interface AlertWebhook {
  /** The URL posted to. */
  url: string;
  /** Signing secrets (the first signs; several while rotating). */
  secrets: readonly string[];
}

/** Options of the alerter. */
export interface AlerterOptions {
  /** The audit log the rules count in. */
  log: Pick<AuditLog, "query">;
  /** The service's clock, milliseconds since the epoch: windows end at its now. */
  now: () => number;
  /** The rules at start. */
  rules?: readonly AlertRule[];
  /** Where firing and resolved changes are posted; none: kept for GET /v1/admin/alerts/firing only. */
  webhook?: AlertWebhook;
  /** Further attempts after a failed post. Default 3. */
  retries?: number;
  /** Delay before the first retry, doubled each time. Default 500 ms. */
  retryDelayMs?: number;
  /** Run before each evaluation: puts saved rules that changed elsewhere in force. */
  refresh?: () => Promise<void>;
  /** Told of a rule that could not be evaluated, saved rules that could not be read, or a post that failed every attempt. */
  onError?: (error: unknown, what: string) => void;
}

/** An alert that fires. */
export interface FiringAlert {
  /** The rule's name. */
  name: string;
  /** The rule. */
  rule: AlertRule;
  /** The value that made it fire, at the last evaluation. */
  value: number;
  /** When it started firing (ISO 8601). */
  since: string;
}

const POST_TIMEOUT_MS = 5000;

/** The alert rules, their state, and the evaluation loop. */
export class Alerter {
  readonly #options: AlerterOptions;
  #rules: AlertRule[];
  readonly #firing = new Map<string, FiringAlert>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: AlerterOptions) {
    this.#options = options;
    this.#rules = checkedAlertRules(options.rules ?? []);
  }

  /** The rules in force. */
  rules(): AlertRule[] {
    return this.#rules.map((rule) => ({ ...rule }));
  }

  /** Replaces the rules (INVALID_REQUEST when they do not hold together); alerts of removed rules are dropped unannounced. */
  setRules(rules: readonly AlertRule[]): void {
    this.#rules = checkedAlertRules(rules);
    const names = new Set(this.#rules.map((rule) => rule.name));
    for (const name of this.#firing.keys()) if (!names.has(name)) this.#firing.delete(name);
  }

  /** The alerts that fire, by name. */
  firing(): FiringAlert[] {
    return [...this.#firing.values()].map((alert) => ({ ...alert, rule: { ...alert.rule } }));
  }

  /** One evaluation of every rule; changes are posted before it resolves. Runs one at a time. */
  evaluate(): Promise<void> {
    this.#running ??= this.#evaluate().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Evaluates every `intervalMs` until `stop()`. */
  start(intervalMs: number): void {
    this.stop();
    this.#timer = setInterval(() => void this.evaluate(), intervalMs).unref();
  }

  /** Stops the loop and waits for an evaluation in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #evaluate(): Promise<void> {
    try {
      await this.#options.refresh?.();
    } catch (error) {
      // The rules in force stay: they are evaluated as they are, and read again next time.
      this.#options.onError?.(error, "saved alert rules");
    }
    const nowMs = this.#options.now();
    const posts: Promise<void>[] = [];
    for (const rule of this.#rules) {
      let value: number;
      try {
        value = await ruleValue(this.#options.log, rule, nowMs);
      } catch (error) {
        // An unreadable log changes nothing: the alert neither fires nor resolves on no data.
        this.#options.onError?.(error, `alert rule '${rule.name}'`);
        continue;
      }
      const was = this.#firing.get(rule.name);
      if (fires(rule, value)) {
        if (was) was.value = value;
        else {
          const alert = { name: rule.name, rule: { ...rule }, value, since: new Date(nowMs).toISOString() };
          this.#firing.set(rule.name, alert);
          posts.push(this.#post("firing", alert, nowMs));
        }
      } else if (was) {
        this.#firing.delete(rule.name);
        posts.push(this.#post("resolved", { ...was, value }, nowMs));
      }
    }
    await Promise.all(posts);
  }

  async #post(state: "firing" | "resolved", alert: FiringAlert, nowMs: number): Promise<void> {
    const webhook = this.#options.webhook;
    if (!webhook) return;
    const body = JSON.stringify({ type: `alert.${state}`, at: new Date(nowMs).toISOString(), alert });
    const retries = this.#options.retries ?? 3;
    let delayMs = this.#options.retryDelayMs ?? 500;
    let last: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
        delayMs *= 2;
      }
      try {
        const response = await fetch(webhook.url, {
          method: "POST",
          headers: { "content-type": "application/json", [WEBHOOK_SIGNATURE_HEADER]: signWebhookPayload(webhook.secrets, body) },
          body,
          signal: AbortSignal.timeout(POST_TIMEOUT_MS),
          redirect: "error",
        });
        await response.body?.cancel();
        if (response.ok) return;
        last = new Error(`the alert webhook answered ${response.status}`);
      } catch (error) {
        last = error;
      }
    }
    this.#options.onError?.(last, `alert webhook (${state} '${alert.name}')`);
  }
}
