/**
 * The alert rules over HTTP, behind the `admin` scope: read and replace them at run time, and
 * read which alerts fire. Rules replaced here last until the service restarts; the configuration
 * gives the rules it starts with.
 */
import type { FastifyInstance } from "fastify";
import type { Alerter } from "../alerts/alerter.js";
import type { AlertRule } from "../alerts/rules.js";
import { errorResponses } from "../error-responses.js";
import { ref } from "../schemas.js";

/** Options of the alert routes. */
export interface AlertRoutesOptions {
  alerter: Alerter;
}

/** The alert routes (mounted under /v1). */
export async function alertRoutes(app: FastifyInstance, { alerter }: AlertRoutesOptions): Promise<void> {
  app.get(
    "/admin/alerts",
    {
      schema: {
        operationId: "getAlertRules",
        summary: "Read the alert rules in force",
        response: { 200: ref("AlertRules") },
      },
    },
    async () => ({ rules: alerter.rules() }),
  );

  app.put<{ Body: { rules: AlertRule[] } }>(
    "/admin/alerts",
    {
      schema: {
        operationId: "putAlertRules",
        summary: "Replace the alert rules",
        description: "Takes effect at the next evaluation; alerts of rules no longer listed stop firing without a webhook.",
        body: ref("AlertRules"),
        response: { 200: ref("AlertRules"), ...errorResponses("INVALID_REQUEST") },
      },
    },
    async (request) => {
      alerter.setRules(request.body.rules);
      return { rules: alerter.rules() };
    },
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
