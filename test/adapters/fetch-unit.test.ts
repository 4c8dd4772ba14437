import { describe, expect, it } from "vitest";
import { otpErrorResponse, otpVerified } from "../../src/adapters/fetch.js";
import { OtpError } from "../../src/core/errors.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";

describe("adapter failure answers", () => {
  it("a rate limit is 429 with Retry-After and the Django body; the handler never runs", async () => {
    const otp = createOtp({
      keys: generateKey("u1"),
      guard: {
        async send(_attempt, open) {
          await open?.open();
          return { kind: "send" };
        },
        async sendFailed() {},
        async check() {
          throw new OtpError("RATE_LIMITED", { retryAfterSeconds: 30, limit: "lockout" });
        },
        async refusedCheck() {},
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
    expect(await response.json()).toEqual({
      error: "Too many requests. Try again later.",
      error_code: "RATE_LIMITED",
      retry_after_seconds: 30,
      limit: "lockout",
    });
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
    const handler = otpVerified(otp, { purpose: "login", methods: ["DELETE"] }, async (_request, { otpContext }) =>
      Response.json({ otpContext }),
    );
    expect((await handler(new Request("http://x/", { method: "POST", body: "{}" }))).status).toBe(200);
    const refused = await handler(new Request("http://x/", { method: "DELETE", body: "{}" }));
    expect(refused.status).toBe(400);
    expect((await refused.json()).error_code).toBe("MISSING_FIELDS");
  });

  it("refuses a code when the app names no identifier for the request", async () => {
    const otp = createOtp({ keys: generateKey("u3") });
    const { code, context } = await otp.generate({ identifier: "attacker@example.com", purpose: "login" });
    const handler = otpVerified(
      otp,
      { purpose: "login", identifier: (request) => request.headers.get("x-user") ?? undefined },
      async () => new Response("ran"),
    );
    const response = await handler(new Request("http://x/", { method: "POST", body: JSON.stringify({ otp: code, context }) }));
    expect(response.status).toBe(400);
    expect((await response.json()).error_code).toBe("CONTEXT_MISMATCH");
  });

  it("checks HEAD wherever it checks GET", async () => {
    const otp = createOtp({ keys: generateKey("u4") });
    const handler = otpVerified(otp, { purpose: "login", methods: ["GET"] }, async () => new Response("ran"));
    expect((await handler(new Request("http://x/", { method: "HEAD" }))).status).toBe(400);
  });

  it("refuses a body over the limit before reading it whole, declared or streamed", async () => {
    const otp = createOtp({ keys: generateKey("u5") });
    let ran = 0;
    const handler = otpVerified(otp, { purpose: "login", bodyLimitBytes: 1024 }, async () => {
      ran += 1;
      return new Response("ran");
    });
    const declared = await handler(
      new Request("http://x/", { method: "POST", headers: { "content-length": "5000000" }, body: "x".repeat(2048) }),
    );
    expect(declared.status).toBe(413);
    expect((await declared.json()).error_code).toBe("PAYLOAD_TOO_LARGE");
    // No declared length: the stream is cut at the limit, long before its end.
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(512).fill(32));
      },
    });
    const streamed = await handler(new Request("http://x/", { method: "POST", body: endless, duplex: "half" } as RequestInit));
    expect(streamed.status).toBe(413);
    expect(pulled).toBeLessThan(10);
    expect(ran).toBe(0);
    const fits = await handler(new Request("http://x/", { method: "POST", body: JSON.stringify({ otp: "123456" }) }));
    expect((await fits.json()).error_code).toBe("MISSING_FIELDS");
  });
});
