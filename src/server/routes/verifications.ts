/**
 * The REST API: start, check, resend, cancel, and a verification's status by id. Shaped like Twilio Verify; errors in the Django
 * library's body shape. The code is delivered by the channel and never returned.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { clientField } from "../../core/util/client-field.js";
import type { Transaction } from "../../core/transaction.js";
import type { Issued, Metadata, Otp } from "../../engine/types.js";
import { clientFrom, type BodyClient, type TrustProxy } from "../client-info.js";
import { errorResponses } from "../error-responses.js";
import { ref } from "../schemas.js";
import { verificationIdParams } from "../schemas/verification-status.js";

interface StartBody {
  identifier: string;
  purpose: string;
  channel?: string;
  metadata?: Metadata;
  locale?: string;
  transaction?: Transaction;
  client?: BodyClient;
}
interface CheckBody {
  context: string;
  code: string;
  purpose: string;
  identifier?: string;
  transaction?: Transaction;
  client?: BodyClient;
}
interface ResendBody {
  context: string;
  locale?: string;
  transaction?: Transaction;
  client?: BodyClient;
}
interface CancelBody {
  context: string;
}

/** What the verification routes can answer besides success and the answers every route with a body gives. */
const VERIFICATION_ERRORS = errorResponses(
  "MISSING_FIELDS",
  "INVALID_REQUEST",
  "INVALID_IDENTIFIER",
  "INVALID_CODE_FORMAT",
  "INVALID_OTP",
  "INVALID_CONTEXT",
  "CONTEXT_MISMATCH",
  "OTP_EXPIRED",
  "SESSION_EXPIRED",
  "ALREADY_USED",
  "CANCELED",
  "MAX_RETRIES_EXCEEDED",
  "RATE_LIMITED",
  "DELIVERY_FAILED",
  "STORE_UNAVAILABLE",
);

export interface VerificationRoutesOptions {
  otp: Otp;
  trustProxy: TrustProxy;
}

function pending(issued: Issued) {
  return {
    id: issued.id,
    context: issued.context,
    status: "pending" as const,
    channel: issued.channel,
    expiresAt: issued.expiresAt.toISOString(),
    sessionExpiresAt: issued.sessionExpiresAt.toISOString(),
  };
}

export async function verificationRoutes(app: FastifyInstance, { otp, trustProxy }: VerificationRoutesOptions): Promise<void> {
  /** Who is asking, for every call: the end user's client (body, else connection) and the request id as trace id. */
  const caller = (request: FastifyRequest, client: BodyClient | undefined) => ({
    ...clientField(clientFrom(request, client, trustProxy)),
    traceId: request.id,
  });

  app.post<{ Body: StartBody }>(
    "/verifications",
    {
      schema: {
        operationId: "startVerification",
        summary: "Start a verification: issue a code and deliver it",
        body: ref("StartVerification"),
        response: { 201: ref("Verification"), ...VERIFICATION_ERRORS },
      },
    },
    async (request, reply) => {
      const { client, ...input } = request.body;
      const issued = await otp.start({ ...input, ...caller(request, client) });
      return reply.code(201).send(pending(issued));
    },
  );

  app.post<{ Body: CheckBody }>(
    "/verifications/check",
    {
      schema: {
        operationId: "checkVerification",
        summary: "Check a code against its context",
        description:
          "`purpose` is required: a code issued for one purpose never approves another. A code bound to a transaction needs the same `transaction`; another one (or none) is CONTEXT_MISMATCH and uses an attempt.",
        body: ref("CheckVerification"),
        response: { 200: ref("Approved"), ...VERIFICATION_ERRORS },
      },
    },
    async (request) => {
      const { context, code, purpose, identifier, transaction, client } = request.body;
      const verified = await otp.verify({
        context,
        code,
        purpose,
        ...(identifier !== undefined && { identifier }),
        ...(transaction !== undefined && { transaction }),
        ...caller(request, client),
      });
      return {
        status: "approved" as const,
        id: verified.id,
        identifier: verified.identifier,
        purpose: verified.purpose,
        metadata: verified.metadata,
      };
    },
  );

  app.post<{ Body: ResendBody }>(
    "/verifications/resend",
    {
      schema: {
        operationId: "resendVerification",
        summary: "Send a new code for a context; the old code stops working",
        description: "Attempts already used carry over: a new code never resets the failure budget.",
        body: ref("ResendVerification"),
        response: { 201: ref("Verification"), ...VERIFICATION_ERRORS },
      },
    },
    async (request, reply) => {
      const { context, locale, transaction, client } = request.body;
      const issued = await otp.resend({
        context,
        ...(locale !== undefined && { locale }),
        ...(transaction !== undefined && { transaction }),
        ...caller(request, client),
      });
      return reply.code(201).send(pending(issued));
    },
  );

  app.post<{ Body: CancelBody }>(
    "/verifications/cancel",
    {
      schema: {
        operationId: "cancelVerification",
        summary: "Cancel a pending verification",
        body: ref("CancelVerification"),
        response: { 200: ref("Canceled"), ...VERIFICATION_ERRORS },
      },
    },
    async (request) => otp.revoke(request.body.context, { traceId: request.id }),
  );
  app.get<{ Params: { id: string } }>(
    "/verifications/:id",
    {
      schema: {
        operationId: "getVerification",
        summary: "Read a verification's status by its id",
        description: "State, attempts and session expiry, as the ledger holds them; never the code, the identifier or the metadata.",
        params: verificationIdParams,
        response: { 200: ref("VerificationStatus"), ...errorResponses("INVALID_REQUEST", "NOT_FOUND", "STORE_UNAVAILABLE") },
      },
    },
    async (request) => {
      const found = await otp.status(request.params.id);
      return { ...found, sessionExpiresAt: found.sessionExpiresAt.toISOString() };
    },
  );
}
