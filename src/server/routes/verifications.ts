/**
 * The REST API: start, check, resend, cancel, and a verification's status by id. Shaped like Twilio Verify; errors in the Django
 * library's body shape. The code is delivered by the channel and never returned.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { clientField } from "../../core/util/client-field.js";
import type { Issued, Metadata, Otp } from "../../engine/types.js";
import { clientFrom, type BodyClient, type TrustProxy } from "../client-info.js";
import {
  approvedResponse,
  cancelBody,
  canceledResponse,
  checkBody,
  errorResponses,
  issuedResponse,
  resendBody,
  startBody,
} from "../schemas.js";
import { verificationIdParams, verificationStatusErrors, verificationStatusResponse } from "../schemas/verification-status.js";

interface StartBody {
  identifier: string;
  purpose: string;
  channel?: string;
  metadata?: Metadata;
  locale?: string;
  client?: BodyClient;
}
interface CheckBody {
  context: string;
  code: string;
  purpose: string;
  identifier?: string;
  client?: BodyClient;
}
interface ResendBody {
  context: string;
  locale?: string;
  client?: BodyClient;
}
interface CancelBody {
  context: string;
}

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
        summary: "Start a verification: issue a code and deliver it",
        body: startBody,
        response: { 201: issuedResponse, ...errorResponses },
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
        summary: "Check a code against its context",
        description: "`purpose` is required: a code issued for one purpose never approves another.",
        body: checkBody,
        response: { 200: approvedResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { context, code, purpose, identifier, client } = request.body;
      const verified = await otp.verify({
        context,
        code,
        purpose,
        ...(identifier !== undefined && { identifier }),
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
        summary: "Send a new code for a context; the old code stops working",
        description: "Attempts already used carry over: a new code never resets the failure budget.",
        body: resendBody,
        response: { 201: issuedResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { context, locale, client } = request.body;
      const issued = await otp.resend({ context, ...(locale !== undefined && { locale }), ...caller(request, client) });
      return reply.code(201).send(pending(issued));
    },
  );

  app.post<{ Body: CancelBody }>(
    "/verifications/cancel",
    {
      schema: {
        summary: "Cancel a pending verification",
        body: cancelBody,
        response: { 200: canceledResponse, ...errorResponses },
      },
    },
    async (request) => otp.revoke(request.body.context, { traceId: request.id }),
  );
  app.get<{ Params: { id: string } }>(
    "/verifications/:id",
    {
      schema: {
        summary: "Read a verification's status by its id",
        description: "State, attempts and session expiry, as the ledger holds them; never the code, the identifier or the metadata.",
        params: verificationIdParams,
        response: { 200: verificationStatusResponse, ...verificationStatusErrors },
      },
    },
    async (request) => {
      const found = await otp.status(request.params.id);
      return { ...found, sessionExpiresAt: found.sessionExpiresAt.toISOString() };
    },
  );
}
