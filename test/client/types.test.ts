/**
 * The client's types against the route schemas they mirror: a field added to or removed from a
 * schema, or a status added to an enum, fails here until the client's type follows.
 */
import { describe, expect, it } from "vitest";
import type {
  ApprovedVerification,
  AuditRow,
  AuditStatsRequest,
  AuditStatsResponse,
  CanceledVerification,
  CheckRequest,
  IssuedVerification,
  OtpClientErrorCode,
  ResendRequest,
  StartRequest,
  TransactionDetails,
  VerificationStatusResponse,
} from "../../src/client/index.js";
import type { ErrorCode } from "../../src/core/errors.js";
import { ERRORS } from "../../src/core/errors.js";
import { SHARED_SCHEMAS } from "../../src/server/schemas.js";
import { verificationStatus } from "../../src/server/schemas/verification-status.js";
import type { VerificationState } from "../../src/engine/types.js";

/** Every field of T, listed: the compiler refuses a list with one missing or one too many. */
const fields = <T>(list: Record<keyof T, true>): string[] => Object.keys(list).sort();
const keysOf = (schema: { properties: object }): string[] => Object.keys(schema.properties).sort();
/** A named schema of the API, by its `$id`. */
const named = (id: string): { properties: object } => {
  const schema = SHARED_SCHEMAS.find((candidate) => candidate.$id === id);
  if (!schema || !("properties" in schema)) throw new Error(`no schema ${id} with properties`);
  return schema as { properties: object };
};

describe("the client's types follow the route schemas", () => {
  it("has every field of each request and answer", () => {
    expect(
      fields<StartRequest>({
        identifier: true,
        purpose: true,
        channel: true,
        metadata: true,
        locale: true,
        transaction: true,
        client: true,
      }),
    ).toEqual(keysOf(named("StartVerification")));
    expect(fields<CheckRequest>({ context: true, code: true, purpose: true, identifier: true, transaction: true, client: true })).toEqual(
      keysOf(named("CheckVerification")),
    );
    expect(fields<ResendRequest>({ context: true, locale: true, transaction: true, client: true })).toEqual(
      keysOf(named("ResendVerification")),
    );
    expect(fields<TransactionDetails>({ amount: true, currency: true, payee: true })).toEqual(keysOf(named("Transaction")));
    expect(
      fields<IssuedVerification>({ id: true, context: true, status: true, channel: true, expiresAt: true, sessionExpiresAt: true }),
    ).toEqual(keysOf(named("Verification")));
    expect(fields<ApprovedVerification>({ status: true, id: true, identifier: true, purpose: true, metadata: true })).toEqual(
      keysOf(named("Approved")),
    );
    expect(fields<CanceledVerification>({ id: true, status: true })).toEqual(keysOf(named("Canceled")));
    expect(
      fields<VerificationStatusResponse>({ id: true, status: true, attempts: true, attemptsRemaining: true, sessionExpiresAt: true }),
    ).toEqual(keysOf(verificationStatus));
    expect(
      fields<AuditRow>({
        eventId: true,
        verificationId: true,
        action: true,
        status: true,
        purpose: true,
        channel: true,
        identifierHash: true,
        identifierMasked: true,
        attempts: true,
        metadata: true,
        clientIp: true,
        userAgent: true,
        traceId: true,
        durationMs: true,
        at: true,
        actor: true,
      }),
    ).toEqual(keysOf(named("AuditRecord")));
    expect(fields<AuditStatsRequest>({ from: true, to: true, bucket: true, purpose: true, channel: true, top: true })).toEqual(
      keysOf(named("AuditStatsQuery")),
    );
    expect(
      fields<AuditStatsResponse>({
        from: true,
        to: true,
        bucket: true,
        series: true,
        totals: true,
        rateLimitedByLimit: true,
        deliveryByChannel: true,
        conversionRate: true,
        timeToApproveSeconds: true,
        checkLatencyMs: true,
        topIps: true,
        topPrefixes: true,
        topCountries: true,
      }),
    ).toEqual(keysOf(named("AuditStats")));
  });

  it("names every status the engine and the schema know", () => {
    const statuses = {
      pending: true,
      approved: true,
      canceled: true,
      replaced: true,
      max_attempts: true,
    } satisfies Record<VerificationStatusResponse["status"], true> & Record<VerificationState, true>;
    expect(Object.keys(statuses).sort()).toEqual([...verificationStatus.properties.status.enum].sort());
  });

  it("types errorCode with the registry's codes and the client's own", () => {
    const codes: OtpClientErrorCode[] = [
      ...(Object.keys(ERRORS) as ErrorCode[]),
      "NETWORK_ERROR",
      "TIMEOUT",
      "ABORTED",
      "INVALID_RESPONSE",
    ];
    // @ts-expect-error: a code neither the registry nor the client has is refused by the compiler
    const unknown: OtpClientErrorCode = "NO_SUCH_CODE";
    expect(codes).toContain("NOT_FOUND");
    expect(codes).not.toContain(unknown);
  });
});
