import { describe, expect, it } from "vitest";
import { otpErrorResponse, otpVerified } from "../../src/adapters/fetch.js";
import { OtpError } from "../../src/core/errors.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/otp.js";

describe("adapter failure answers", () => {
  it("a rate limit is 429 with Retry-After and the Django body; the handler never runs", async () => {
    const otp = createOtp({
      keys: generateKey("u1"),
      guard: {
        async beforeSend() {},
        async beforeCheck() {
          throw new OtpError("RATE_LIMITED", { retryAfterSeconds: 30, limit: "lockout" });
        },
        async afterCheck() {},
      },
    });
    const { code, context } = await otp.generate({ identifier: "rl@example.com", purpose: "login" });
    let ran = 0;
    const handler = otpVerified(otp, { purpose: "login" }, async () => {
      ran += 1;
      return new Response("ok");
    });
    const response = await handler(new Request("http://x/", { method: "POST", body: JSON.stringify({ otp: code, context }) }));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(await response.json()).toEqual({ error: "Too many requests. Try again later.", error_code: "RATE_LIMITED", retry_after_seconds: 30 });
    expect(ran).toBe(0);
  });

  it("anything that is not an OtpError answers 500 INTERNAL without its message", async () => {
    const response = otpErrorResponse(new Error("database password is hunter2"));
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).not.toContain("hunter2");
    expect(JSON.parse(body).error_code).toBe("INTERNAL");
  });

  it("checks only the configured methods", async () => {
    const otp = createOtp({ keys: generateKey("u2") });
    const handler = otpVerified(otp, { purpose: "login", methods: ["DELETE"] }, async (_request, { otpContext }) => Response.json({ otpContext }));
    expect((await handler(new Request("http://x/", { method: "POST", body: "{}" }))).status).toBe(200);
    const refused = await handler(new Request("http://x/", { method: "DELETE", body: "{}" }));
    expect(refused.status).toBe(400);
    expect((await refused.json()).error_code).toBe("MISSING_FIELDS");
  });
});
