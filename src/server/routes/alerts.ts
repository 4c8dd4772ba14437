/**
 * The alert rules over HTTP, behind the `admin` scope: read and replace them at run time, and
 * read which alerts fire. Rules replaced here are saved where the service keeps them (beside a
 * SQL audit log, or in a file) before they apply, so they outlive a restart and reach every
 * instance; the answer's `durable` says when they are kept in memory only.
 */
import type { FastifyInstance } from "fastify";
import type { Alerter } from "../alerts/alerter.js";
import type { RulesInForce } from "../alerts/rules-in-force.js";
import type { AlertRule } from "../alerts/rules.js";
import { errorResponses } from "../error-responses.js";
import { ref } from "../schemas.js";

/** Options of the alert routes. */
export interface AlertRoutesOptions {
  alerter: Alerter;
  /** The rules in force, where they come from and where a PUT saves them. */
  rules: RulesInForce;
}

/** The alert routes (mounted under /v1). */
export async function alertRoutes(app: FastifyInstance, { alerter, rules }: AlertRoutesOptions): Promise<void> {
  app.get(
    "/admin/alerts",
    {
      schema: {
        operationId: "getAlertRules",
        summary: "Read the alert rules in force",
        description: "The rules, where they come from (`source`), and whether a PUT is kept across restarts and instances (`durable`).",
        response: { 200: ref("AlertRulesInForce") },
      },
    },
    async () => rules.view(),
  );

  app.put<{ Body: { rules: AlertRule[] } }>(
    "/admin/alerts",
    {
      schema: {
        operationId: "putAlertRules",
        summary: "Replace the alert rules",
        description:
          "Checked, then saved (beside a SQLite or Postgres audit log, or in `alerts.rulesFile`), then in force: at this instance's next evaluation, and at the others' within one evaluation interval. A save that fails answers 503 and the rules in force stay. Alerts of rules no longer listed stop firing without a webhook. With `durable: false` in the answer the rules are kept in this process's memory only.",
        body: ref("AlertRules"),
        response: { 200: ref("AlertRulesInForce"), ...errorResponses("INVALID_REQUEST", "STORE_UNAVAILABLE") },
      },
    },
    async (request) => rules.replace(request.body.rules),
  );

  app.get(
    "/admin/alerts/firing",
    {
      schema: {
        operationId: "getFiringAlerts",
        summary: "Read the alerts that fire",
        response: { 200: ref("FiringAlerts") },
      },
    },
    async () => ({ firing: alerter.firing() }),
  );
}
