import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERRORS, type ErrorCode, OtpError } from "../../src/core/errors.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import type { Otp } from "../../src/engine/types.js";
import { capturingChannel } from "../../src/testing/index.js";
import { FRAMEWORKS, INTERNAL_DETAIL, type RunningApp, send, startApp } from "../helpers/adapter-apps.js";

const CODES = Object.keys(ERRORS) as ErrorCode[];
// Every way a route reaches the engine: the handle's calls from a handler, and the adapter's own check.
const PATHS = ["/generate", "/start", "/resend", "/revoke", "/verify-self", "/checked"];

function errorFor(code: ErrorCode): OtpError {
  if (code === "RATE_LIMITED") return new OtpError(code, { retryAfterSeconds: 30, limit: "sends_per_identifier" });
  if (code === "INVALID_OTP") return new OtpError(code, { attemptsRemaining: 2, context: "next-context" });
  return new OtpError(code);
}

/** An engine whose every operation fails with the code the test names next. */
function failingOtp(): { otp: Otp; fail(code: ErrorCode): void } {
  let next: ErrorCode = "INTERNAL";
  const refuse = async () => {
    throw errorFor(next);
  };
  const otp = { generate: refuse, start: refuse, resend: refuse, regenerate: refuse, verify: refuse, revoke: refuse };
  return {
    otp: otp as unknown as Otp,
    fail(code) {
      next = code;
    },
  };
}

describe.each(FRAMEWORKS)("%s: every OtpError answers one shape", (framework) => {
  const engine = failingOtp();
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(framework, engine.otp);
  });
  afterAll(() => app.close());

  it.each(CODES)("%s from every operation: its status, { error, error_code, … }, no-store", async (code) => {
    engine.fail(code);
    const expected = errorFor(code);
    for (const path of PATHS) {
      const answer = await send(app, "POST", path, { identifier: "user@example.com", context: "c", code: "123456" });
      expect(answer.status, path).toBe(ERRORS[code].status);
      expect(answer.json, path).toEqual(expected.toBody());
      expect(answer.headers.get("content-type"), path).toMatch(/^application\/json/);
      expect(answer.headers.get("cache-control"), path).toBe("no-store");
      expect(answer.headers.get("retry-after"), path).toBe(code === "RATE_LIMITED" ? "30" : null);
    }
  });

  it("anything else goes on to the framework's own handler, never in the OTP shape", async () => {
    const answer = await send(app, "POST", "/boom", {});
    expect(answer.status).toBe(500);
    expect(answer.json).not.toHaveProperty("error_code");
    if (framework === "fastify") expect(answer.json).toMatchObject({ statusCode: 500, error: "Internal Server Error" });
    else {
      expect(answer.json).toEqual({ handledBy: framework === "express" ? "app" : "framework" });
      expect(answer.text).not.toContain(INTERNAL_DETAIL);
    }
  });
});

describe.each(FRAMEWORKS)("%s: the check on a real engine", (framework) => {
  const otp = createOtp({ keys: generateKey(), channels: [capturingChannel()] });
  let app: RunningApp;
  let n = 0;
  const issue = async () => {
    const answer = await send(app, "POST", "/generate", { identifier: `${framework}-${(n += 1)}@example.com` });
    return answer.json as { code: string; context: string };
  };
  beforeAll(async () => {
    app = await startApp(framework, otp);
  });
  afterAll(() => app.close());

  it("checks every method but GET, HEAD and OPTIONS: DELETE is refused without a code", async () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const refused = await send(app, method, "/checked");
      expect(refused.status, method).toBe(400);
      expect(refused.json, method).toMatchObject({ error_code: "MISSING_FIELDS" });
    }
    for (const method of ["GET", "OPTIONS"]) expect((await send(app, method, "/checked")).json, method).toEqual({ identifier: null });
    expect((await send(app, "HEAD", "/checked")).status).toBe(200);
    const { code, context } = await issue();
    const deleted = await send(app, "DELETE", "/checked", { code, context });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ identifier: `${framework}-${n}@example.com` });
  });

  it("reads the code from `code` or from `otp`, and refuses both when they differ", async () => {
    for (const field of ["code", "otp"]) {
      const { code, context } = await issue();
      const answer = await send(app, "POST", "/checked", { [field]: code, context });
      expect(answer.status, field).toBe(200);
    }
    const same = await issue();
    expect((await send(app, "POST", "/checked", { code: same.code, otp: same.code, context: same.context })).status).toBe(200);

    const { code, context } = await issue();
    const wrong = code === "000000" ? "111111" : "000000";
    for (const body of [
      { code, otp: wrong, context },
      { code: wrong, otp: code, context },
    ]) {
      const refused = await send(app, "POST", "/checked", body);
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ error_code: "INVALID_REQUEST" });
      expect(refused.json?.error).toMatch(/code, otp/);
    }
    // Refused before the engine saw it: no attempt was spent, the code still works.
    const after = await send(app, "POST", "/checked", { code, context });
    expect(after.status).toBe(200);
  });

  it("reads only the configured field when codeField names one", async () => {
    const { code, context } = await issue();
    expect((await send(app, "POST", "/checked-otp-field", { code, context })).json).toMatchObject({ error_code: "MISSING_FIELDS" });
    expect((await send(app, "POST", "/checked-otp-field", { otp: code, context })).status).toBe(200);
  });

  it("names the kind an identifier was taken for", async () => {
    const answer = await send(app, "POST", "/start", { identifier: "nope" });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: "The identifier is not a valid email address.", error_code: "INVALID_IDENTIFIER" });
  });
});
