/**
 * Authenticator-app factors: enrol, confirm, verify, recovery codes. The service keeps no factor:
 * the caller stores the sealed `factor` on its user record and sends it with each call; the
 * ledger keeps only the last accepted time step and used recovery codes.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { clientField } from "../../core/util/client-field.js";
import type { Otp } from "../../engine/types.js";
import { clientFrom, type BodyClient, type TrustProxy } from "../client-info.js";
import { errorResponses } from "../error-responses.js";
import { ref } from "../schemas.js";

interface EnrolBody {
  account: string;
  issuer: string;
  algorithm?: "SHA1" | "SHA256" | "SHA512";
  digits?: 6 | 8;
  periodSeconds?: number;
  windowSteps?: number;
  client?: BodyClient;
}
interface CheckBody {
  factor: string;
  code: string;
  client?: BodyClient;
}
interface FactorBody {
  factor: string;
  client?: BodyClient;
}

/** What a check of a factor can answer besides success. */
const CHECK_ERRORS = errorResponses(
  "MISSING_FIELDS",
  "INVALID_REQUEST",
  "INVALID_FACTOR",
  "INVALID_CODE_FORMAT",
  "INVALID_OTP",
  "FACTOR_NOT_CONFIRMED",
  "ALREADY_USED",
  "CANCELED",
  "RATE_LIMITED",
  "STORE_UNAVAILABLE",
);

/** Options of `totpRoutes`. */
export interface TotpRoutesOptions {
  otp: Otp;
  trustProxy: TrustProxy;
}

export async function totpRoutes(app: FastifyInstance, { otp, trustProxy }: TotpRoutesOptions): Promise<void> {
  const caller = (request: FastifyRequest, client: BodyClient | undefined) => ({
    ...clientField(clientFrom(request, client, trustProxy)),
    traceId: request.id,
  });
  const approved = (verified: { factorId: string; factor?: string }) => ({ status: "approved" as const, ...verified });

  app.post<{ Body: EnrolBody }>(
    "/factors/totp",
    {
      schema: {
        operationId: "enrolTotpFactor",
        summary: "Enrol an authenticator app: a new secret, its otpauth URI and QR code",
        description: "The answer shows the secret once. The factor is inactive until /v1/factors/totp/confirm accepts a first code.",
        body: ref("TotpEnrol"),
        response: { 201: ref("TotpEnrolment"), ...errorResponses("INVALID_REQUEST") },
      },
    },
    async (request, reply) => {
      const { client, ...input } = request.body;
      return reply.code(201).send(await otp.totp.enrol({ ...input, ...caller(request, client) }));
    },
  );

  app.post<{ Body: CheckBody }>(
    "/factors/totp/confirm",
    {
      schema: {
        operationId: "confirmTotpFactor",
        summary: "Activate a factor with a first code from the app",
        body: ref("TotpCheck"),
        response: { 200: ref("TotpConfirmed"), ...CHECK_ERRORS },
      },
    },
    async (request) => {
      const { factor, code, client } = request.body;
      return { status: "confirmed" as const, ...(await otp.totp.confirm({ factor, code, ...caller(request, client) })) };
    },
  );

  app.post<{ Body: CheckBody }>(
    "/factors/totp/verify",
    {
      schema: {
        operationId: "verifyTotpCode",
        summary: "Check a code from the app; each time step's code passes once",
        body: ref("TotpCheck"),
        response: { 200: ref("TotpApproved"), ...CHECK_ERRORS },
      },
    },
    async (request) => {
      const { factor, code, client } = request.body;
      return approved(await otp.totp.verify({ factor, code, ...caller(request, client) }));
    },
  );

  app.post<{ Body: FactorBody }>(
    "/factors/totp/recovery-codes",
    {
      schema: {
        operationId: "createTotpRecoveryCodes",
        summary: "Ten new single-use recovery codes; every earlier one stops working",
        body: ref("TotpFactor"),
        response: {
          201: ref("TotpRecoveryCodes"),
          ...errorResponses("INVALID_REQUEST", "INVALID_FACTOR", "FACTOR_NOT_CONFIRMED", "STORE_UNAVAILABLE"),
        },
      },
    },
    async (request, reply) => {
      const { factor, client } = request.body;
      return reply.code(201).send(await otp.totp.recoveryCodes({ factor, ...caller(request, client) }));
    },
  );

  app.post<{ Body: CheckBody }>(
    "/factors/totp/recovery-codes/use",
    {
      schema: {
        operationId: "useTotpRecoveryCode",
        summary: "Use a recovery code instead of the app; each passes once",
        body: ref("TotpCheck"),
        response: { 200: ref("TotpApproved"), ...CHECK_ERRORS },
      },
    },
    async (request) => {
      const { factor, code, client } = request.body;
      return approved(await otp.totp.useRecoveryCode({ factor, code, ...caller(request, client) }));
    },
  );
}
