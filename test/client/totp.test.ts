/**
 * The client's TOTP routes against the live service on the SQLite store: the whole life of a
 * factor, typed errors, and its types against the route schemas.
 */
import { authenticator } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isOtpClientError,
  type OtpClient,
  type TotpApprovedResponse,
  type TotpCheckRequest,
  type TotpConfirmedResponse,
  type TotpEnrolmentResponse,
  type TotpEnrolRequest,
  type TotpRecoveryCodesResponse,
} from "../../src/client/index.js";
import { SHARED_SCHEMAS } from "../../src/server/schemas.js";
import { startClientService } from "./client-service.js";

let client: OtpClient;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ client, stop } = await startClientService("verify"));
});
afterAll(() => stop?.());

const codeOf = (secret: string, offsetSteps = 0) => authenticator.clone({ epoch: Date.now() + offsetSteps * 30_000 }).generate(secret);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("client.totp", () => {
  it("enrols, confirms, verifies once and uses a recovery code, with a key of the verify scope", async () => {
    const enrolment = await client.totp.enrol({ account: "cy@example.com", issuer: "Example" });
    const { factor } = await client.totp.confirm({ factor: enrolment.factor, code: codeOf(enrolment.secret) });
    const code = codeOf(enrolment.secret, 1);
    await expect(client.totp.verify({ factor, code })).resolves.toEqual({ status: "approved", factorId: enrolment.factorId });
    const replay = await rejection(client.totp.verify({ factor, code }));
    expect(isOtpClientError(replay) && replay.errorCode).toBe("ALREADY_USED");
    const { factor: withCodes, codes } = await client.totp.recoveryCodes({ factor });
    await expect(client.totp.useRecoveryCode({ factor: withCodes, code: codes[9]! })).resolves.toMatchObject({ status: "approved" });
  });

  it("rejects a bad factor with INVALID_FACTOR", async () => {
    const error = await rejection(client.totp.verify({ factor: "AAAA", code: "123456" }));
    expect(isOtpClientError(error) && error.errorCode).toBe("INVALID_FACTOR");
    expect(isOtpClientError(error) && error.status).toBe(400);
  });
});

describe("the client's TOTP types follow the route schemas", () => {
  const fields = <T>(list: Record<keyof T, true>): string[] => Object.keys(list).sort();
  const keysOf = (id: string): string[] => {
    const schema = SHARED_SCHEMAS.find((candidate) => candidate.$id === id) as { properties: object } | undefined;
    if (!schema) throw new Error(`no schema ${id}`);
    return Object.keys(schema.properties).sort();
  };
  it("has every field of each request and answer", () => {
    expect(
      fields<TotpEnrolRequest>({
        account: true,
        issuer: true,
        algorithm: true,
        digits: true,
        periodSeconds: true,
        windowSteps: true,
        client: true,
      }),
    ).toEqual(keysOf("TotpEnrol"));
    expect(fields<TotpEnrolmentResponse>({ factorId: true, factor: true, secret: true, uri: true, qrCode: true })).toEqual(
      keysOf("TotpEnrolment"),
    );
    expect(fields<TotpCheckRequest>({ factor: true, code: true, client: true })).toEqual(keysOf("TotpCheck"));
    expect(fields<TotpConfirmedResponse>({ status: true, factorId: true, factor: true })).toEqual(keysOf("TotpConfirmed"));
    expect(fields<TotpApprovedResponse>({ status: true, factorId: true, factor: true })).toEqual(keysOf("TotpApproved"));
    expect(fields<TotpRecoveryCodesResponse>({ factorId: true, factor: true, codes: true })).toEqual(keysOf("TotpRecoveryCodes"));
  });
});
