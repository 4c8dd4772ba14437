/**
 * Evaluates the alert rules on the audit log every interval, keeps which alerts fire, and posts
 * each change (firing, resolved) to a webhook, signed as the webhook channel signs its
 * deliveries (X-OTP-Signature), with a few retries. Rules can be replaced at run time, and are
 * read again from where they are saved before each evaluation (see rules-in-force.ts). With the
 * service's store, instances share which alerts fire and each change is posted by one of them
 * (see alert-generations.ts).
 */
import type { AuditLog } from "../../audit/audit-log.js";
import { signWebhookPayload, WEBHOOK_SIGNATURE_HEADER } from "../../channels/webhook-signature.js";
import type { LedgerStore } from "../../contracts/ledger.js";
import { fires, ruleValue } from "./aggregates.js";
import { AlertGenerations, firingGeneration, generationKey } from "./alert-generations.js";
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
  /**
   * The service's store: instances on the same store share which alerts fire, and each change is
   * posted once among them. None, or a store without marks (`advance`): this instance's own.
   */
  store?: LedgerStore;
  /** A store call that takes longer is abandoned (the change is tried again next interval). Default 1000 ms. */
  storeTimeoutMs?: number;
  /** Told of a rule that could not be evaluated, saved rules that could not be read, a change the store could not record, or a post that failed every attempt. */
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

/** A firing alert and, with a shared store, the key of its generation. */
interface Firing {
  alert: FiringAlert;
  key: string;
}

/** A change to post, and its generation when the instances share them. */
interface Change {
  state: "firing" | "resolved";
  alert: FiringAlert;
  key: string;
  generation?: number;
}

/** The alert rules, their state, and the evaluation loop. */
export class Alerter {
  readonly #options: AlerterOptions;
  #rules: AlertRule[];
  readonly #firing = new Map<string, Firing>();
  readonly #generations: AlertGenerations | undefined;
  /** The generation this instance last saw, by key: written back should the store forget it. */
  readonly #seen = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: AlerterOptions) {
    this.#options = options;
    this.#rules = checkedAlertRules(options.rules ?? []);
    this.#generations = AlertGenerations.of(options.store, options.storeTimeoutMs ?? 1000);
  }

  /** Whether the instances on the store share which alerts fire (false: each posts its own changes). */
  get shared(): boolean {
    return this.#generations !== undefined;
  }

  /** The rules in force. */
  rules(): AlertRule[] {
    return this.#rules.map((rule) => ({ ...rule }));
  }

  /**
   * Replaces the rules (INVALID_REQUEST when they do not hold together); alerts of removed rules are
   * dropped unannounced, and with a shared store so are those of changed rules (a new alert).
   */
  setRules(rules: readonly AlertRule[]): void {
    this.#rules = checkedAlertRules(rules);
    this.#prune();
  }

  /** Forgets the alerts of rules no longer in force (also those an evaluation running across a replacement set). */
  #prune(): void {
    const keys = new Map(this.#rules.map((rule) => [rule.name, generationKey(rule)]));
    for (const [name, firing] of this.#firing)
      if (!keys.has(name) || (this.shared && keys.get(name) !== firing.key)) this.#firing.delete(name);
    const inForce = new Set(keys.values());
    for (const key of this.#seen.keys()) if (!inForce.has(key)) this.#seen.delete(key);
  }

  /**
   * The alerts that fire, by name. With a shared store: those whose firing was posted (here or by
   * another instance) and that this instance's last evaluation finds firing too.
   */
  firing(): FiringAlert[] {
    return [...this.#firing.values()].map(({ alert }) => ({ ...alert, rule: { ...alert.rule } }));
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
      const change = this.#generations ? await this.#sharedChange(this.#generations, rule, value, nowMs) : this.#change(rule, value, nowMs);
      if (change) posts.push(this.#post(change, nowMs));
    }
    this.#prune();
    await Promise.all(posts);
  }

  /** This instance's own view: it posts every change it sees. */
  #change(rule: AlertRule, value: number, nowMs: number): Change | undefined {
    const was = this.#firing.get(rule.name);
    if (fires(rule, value)) {
      if (was) was.alert.value = value;
      else {
        const alert = { name: rule.name, rule: { ...rule }, value, since: new Date(nowMs).toISOString() };
        const key = generationKey(rule);
        this.#firing.set(rule.name, { alert, key });
        return { state: "firing", alert, key };
      }
    } else if (was) {
      this.#firing.delete(rule.name);
      return { state: "resolved", alert: { ...was.alert, value }, key: was.key };
    }
    return undefined;
  }

  /**
   * The view shared through the store: a change this instance sees is claimed as the next
   * generation and posted only when this claim won it; otherwise the generation in force is
   * adopted. A store that does not answer changes nothing here: the change is tried next interval.
   */
  async #sharedChange(generations: AlertGenerations, rule: AlertRule, value: number, nowMs: number): Promise<Change | undefined> {
    const key = generationKey(rule);
    // An alert of an earlier definition of the rule is another alert: this one starts unlisted.
    const listed = this.#firing.get(rule.name);
    const was = listed?.key === key ? listed : undefined;
    if (listed && !was) this.#firing.delete(rule.name);
    const firesNow = fires(rule, value);
    if (was) was.alert.value = value;
    if (firesNow === (was !== undefined)) return undefined;
    let generation: number;
    let won = false;
    try {
      generation = await generations.read(key, this.#seen.get(key));
      if (firingGeneration(generation) !== firesNow) ({ won, generation } = await generations.claim(key, generation + 1));
    } catch (error) {
      this.#options.onError?.(error, `alert rule '${rule.name}' (shared state)`);
      return undefined;
    }
    this.#seen.set(key, generation);
    if (firingGeneration(generation)) {
      const alert = was?.alert ?? { name: rule.name, rule: { ...rule }, value, since: new Date(nowMs).toISOString() };
      this.#firing.set(rule.name, { alert, key });
      return won ? { state: "firing", alert, key, generation } : undefined;
    }
    this.#firing.delete(rule.name);
    return won && was ? { state: "resolved", alert: { ...was.alert, value }, key, generation } : undefined;
  }

  async #post({ state, alert, key, generation }: Change, nowMs: number): Promise<void> {
    const webhook = this.#options.webhook;
    if (!webhook) return;
    // With shared generations, the id is the same on every instance: a receiver can drop a repeat.
    const shared = generation !== undefined && { generation, id: `${key.slice("alert:".length)}:${generation}` };
    const body = JSON.stringify({ type: `alert.${state}`, at: new Date(nowMs).toISOString(), alert, ...shared });
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
