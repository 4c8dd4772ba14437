/**
 * The operator's actions, behind the `admin` scope: lift the lockouts of an identifier + purpose,
 * and cancel a pending verification by its id. Each is an audit row naming the key that acted.
 */
import type { FastifyInstance } from "fastify";
import type { IdentifierKind } from "../../core/identifiers.js";
import type { Otp } from "../../engine/types.js";
import { callerOf } from "../caller.js";
import { errorResponses } from "../error-responses.js";
import { ref } from "../schemas.js";
import { verificationIdParams } from "../schemas/verification-status.js";

/** Options of the admin routes. */
export interface AdminRoutesOptions {
  otp: Otp;
}

interface LiftBody {
  identifier?: string;
  identifierKind?: IdentifierKind;
  identifierHash?: string;
  purpose: string;
}

/** The operator's actions (mounted under /v1). */
export async function adminRoutes(app: FastifyInstance, { otp }: AdminRoutesOptions): Promise<void> {
  app.post<{ Body: LiftBody }>(
    "/admin/lockouts/lift",
    {
      schema: {
        operationId: "liftLockout",
        summary: "Lift the lockouts of an identifier + purpose",
        description:
          "Lifts its lockout across IPs and its lockouts from every IP, and ends its runs of failures: the user can check a new code at once. Each IP's own failure budget (guesses sprayed across identifiers) is left as it is. An audit row `unlocked` names the API key.",
        body: ref("LiftLockout"),
        response: {
          200: ref("LockoutLifted"),
          ...errorResponses("MISSING_FIELDS", "INVALID_REQUEST", "INVALID_IDENTIFIER", "STORE_UNAVAILABLE"),
        },
      },
    },
    async (request) => {
      const { identifier, identifierKind, identifierHash, purpose } = request.body;
      const actor = callerOf(request)?.keyId;
      const unlocked = await otp.unlock({
        purpose,
        ...(identifier !== undefined && { identifier }),
        ...(identifierKind !== undefined && { identifierKind }),
        ...(identifierHash !== undefined && { identifierHash }),
        ...(actor !== undefined && { actor }),
        traceId: request.id,
      });
      return { status: "unlocked" as const, ...unlocked };
    },
  );

  app.post<{ Params: { id: string } }>(
    "/admin/verifications/:id/cancel",
    {
      schema: {
        operationId: "cancelVerificationById",
        summary: "Cancel a pending verification by its id",
        description:
          "For an operator who holds no context. Cancelling again answers the same; an approved one is ALREADY_USED, a forgotten one NOT_FOUND. An audit row `revoked` names the API key.",
        params: verificationIdParams,
        response: {
          200: ref("Canceled"),
          ...errorResponses("INVALID_REQUEST", "NOT_FOUND", "ALREADY_USED", "CANCELED", "STORE_UNAVAILABLE"),
        },
      },
    },
    async (request) => {
      const actor = callerOf(request)?.keyId;
      return otp.cancel(request.params.id, { ...(actor !== undefined && { actor }), traceId: request.id });
    },
  );
}
