/**
 * Which alert rules are in force, and where they come from: the configuration's until an admin
 * saves some, then the saved ones, read at start and again every evaluation interval (when their
 * revision changed), so an edit on one instance reaches the others within an interval. A save
 * that fails changes nothing; saved rules that do not pass the rules' checks are refused, loudly,
 * and the configuration's rules stay in force.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { OtpError } from "../../core/errors.js";
import { describeError } from "../health.js";
import type { Alerter } from "./alerter.js";
import type { AlertRulesStore, SavedAlertRules } from "./rules-store.js";
import { alertRuleProblems, alertRuleSchema, alertRulesSchema, type AlertRule } from "./rules.js";

/** Where the rules in force come from. */
export type AlertRulesSource = "configuration" | "saved" | "memory";

/** What GET and PUT /v1/admin/alerts answer. */
export interface AlertRulesView {
  rules: AlertRule[];
  /** Whether a PUT is kept across restarts and shared by every instance on the same storage. */
  durable: boolean;
  source: AlertRulesSource;
  /** When the saved rules in force were saved. */
  updatedAt?: string;
}

export interface RulesInForceOptions {
  alerter: Alerter;
  /** The configuration's rules: in force until an admin saves. */
  configured: readonly AlertRule[];
  /** Where an admin's rules are kept; none: in this process's memory only. */
  store?: AlertRulesStore | undefined;
  /** Told which rules are in force at start, and of saved rules refused or unreadable. Never rules' secrets: they hold none. */
  log: (level: "info" | "warn", message: string) => void;
}

/** Before the first read: whatever the store holds is new. */
const UNREAD = Symbol("unread");

export class RulesInForce {
  readonly #options: RulesInForceOptions;
  #source: AlertRulesSource = "configuration";
  #updatedAt: Date | undefined;
  #revision: string | undefined | typeof UNREAD = UNREAD;
  /** Loads and saves one at a time: a load that started before a save never undoes it. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: RulesInForceOptions) {
    this.#options = options;
  }

  /** Whether an admin's rules outlive a restart. */
  get durable(): boolean {
    return this.#options.store !== undefined;
  }

  /** The rules in force and where they come from. */
  view(): AlertRulesView {
    return {
      rules: this.#options.alerter.rules(),
      durable: this.durable,
      source: this.#source,
      ...(this.#updatedAt && { updatedAt: this.#updatedAt.toISOString() }),
    };
  }

  /** Reads the saved rules at start and says which are in force; a store that does not answer leaves the configuration's. */
  start(): Promise<void> {
    return this.#serial(async () => {
      const { store, log, configured } = this.#options;
      if (store) {
        try {
          await this.#adopt(await store.load());
        } catch (error) {
          log(
            "warn",
            `alerts: the saved rules could not be read from ${store.where} (${reason(error)}); the configuration's rules are in force until it answers`,
          );
          return;
        }
      }
      if (this.#source === "saved")
        log("info", `alerts: the rules saved at ${this.#updatedAt!.toISOString()} in ${store!.where} are in force`);
      // (Saved rules that were refused have said so already.)
      else if (store ? this.#revision === undefined : configured.length > 0)
        log(
          "info",
          `alerts: the configuration's ${configured.length} rule(s) are in force${store ? ` (none saved in ${store.where})` : ""}`,
        );
    });
  }

  /** Reads the saved rules again when their revision changed: before every evaluation. Throws when the store does not answer. */
  refresh(): Promise<void> {
    return this.#serial(async () => {
      const store = this.#options.store;
      if (!store) return;
      if (this.#revision !== UNREAD && (await store.revision()) === this.#revision) return;
      await this.#adopt(await store.load());
    });
  }

  /**
   * Checks the rules (INVALID_REQUEST), saves them (STORE_UNAVAILABLE when the store does not
   * take them: the rules in force stay), then puts them in force.
   */
  replace(rules: readonly AlertRule[]): Promise<AlertRulesView> {
    return this.#serial(async () => {
      const { alerter, store, log } = this.#options;
      const problems = alertRuleProblems(rules);
      if (problems.length > 0) throw new OtpError("INVALID_REQUEST", { message: `${problems[0]}.` });
      if (!store) {
        alerter.setRules(rules);
        this.#source = "memory";
        this.#updatedAt = undefined;
        return this.view();
      }
      let saved: SavedAlertRules;
      try {
        saved = await store.save(rules);
      } catch (error) {
        log("warn", `alerts: the rules could not be saved in ${store.where} (${reason(error)}); the rules in force are unchanged`);
        throw new OtpError("STORE_UNAVAILABLE", {
          message: "The alert rules could not be saved; the rules in force are unchanged.",
          cause: error,
        });
      }
      alerter.setRules(rules);
      this.#source = "saved";
      this.#updatedAt = saved.updatedAt;
      this.#revision = saved.revision;
      return this.view();
    });
  }

  /** Puts saved rules in force, or the configuration's when there are none or they are refused. */
  async #adopt(saved: SavedAlertRules | undefined): Promise<void> {
    const { alerter, configured, log, store } = this.#options;
    this.#revision = saved?.revision;
    const problem = saved && savedRulesProblem(saved.rules);
    if (saved && problem === undefined) {
      alerter.setRules(saved.rules as AlertRule[]);
      this.#source = "saved";
      this.#updatedAt = saved.updatedAt;
      return;
    }
    if (saved)
      log(
        "warn",
        `alerts: the saved rules in ${store!.where} (version ${saved.version}) are refused: ${problem}; the configuration's rules are in force until an admin saves rules again`,
      );
    else if (this.#source === "saved")
      log("info", `alerts: no rules are saved in ${store!.where} any more; the configuration's rules are in force`);
    alerter.setRules(configured);
    this.#source = "configuration";
    this.#updatedAt = undefined;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

let validator: ValidateFunction | undefined;

/** What is wrong with rules read back from a store (the PUT body's schema, then the rules' own checks), or undefined. */
export function savedRulesProblem(rules: unknown): string | undefined {
  validator ??= new Ajv2020({ strict: false }).addSchema(alertRuleSchema).compile(alertRulesSchema);
  if (!validator({ rules })) {
    const error = validator.errors?.[0];
    // Checked as the PUT body `{ rules }`: the path is named from the list down.
    return `rules${(error?.instancePath ?? "").replace(/^\/rules/, "")} ${error?.message ?? "are not a list of rules"}`;
  }
  return alertRuleProblems(rules as AlertRule[])[0];
}

/** An error's message as the log may carry it: no credentials from a URL, bounded. */
function reason(error: unknown): string {
  return String(describeError(error).message);
}
