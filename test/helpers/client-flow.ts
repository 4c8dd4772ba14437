/**
 * The Django README's client flow, driven over real HTTP against any adapter:
 * request a code → send a wrong one → retry with the updated context → send the right one →
 * the handler runs exactly once; a replay is refused.
 */
import { expect, it } from "vitest";
import type { CapturingChannel } from "../../src/testing/index.js";
import { wrongCode } from "./otp.js";

export interface FlowApp {
  baseUrl: string;
  channel: CapturingChannel;
  /** How many times the protected handler ran, and with what. */
  handled: Array<{ otpContext: unknown; body: unknown }>;
}

export { wrongCode };

export async function post(
  baseUrl: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

export async function runClientFlow(app: FlowApp): Promise<void> {
  const email = `flow-${Math.random().toString(36).slice(2)}@example.com`;
  const requested = await post(app.baseUrl, "/password-reset/request", { email });
  expect(requested.status).toBe(200);
  expect(typeof requested.body.context).toBe("string");
  expect(JSON.stringify(requested.body)).not.toMatch(/\b\d{6}\b/);
  const code = app.channel.lastCodeFor(email)!;
  expect(code).toMatch(/^\d{6}$/);

  const first = await post(app.baseUrl, "/password-reset", { otp: wrongCode(code), context: requested.body.context, password: "new" });
  expect(first.status).toBe(400);
  expect(first.body).toMatchObject({ error_code: "INVALID_OTP", attempts_remaining: 2, error: "Invalid OTP." });
  expect(typeof first.body.context).toBe("string");

  const second = await post(app.baseUrl, "/password-reset", { otp: wrongCode(code), context: first.body.context, password: "new" });
  expect(second.body).toMatchObject({ error_code: "INVALID_OTP", attempts_remaining: 1 });
  expect(app.handled).toHaveLength(0);

  const right = await post(app.baseUrl, "/password-reset", { otp: code, context: second.body.context, password: "new" });
  expect(right.status).toBe(200);
  expect(right.body).toMatchObject({ reset: email });
  expect(app.handled).toHaveLength(1);
  expect(app.handled[0]!.otpContext).toMatchObject({ identifier: email, purpose: "password_reset", metadata: { source: "flow" } });
  expect(app.handled[0]!.body).toMatchObject({ password: "new" });

  const replay = await post(app.baseUrl, "/password-reset", { otp: code, context: second.body.context, password: "new" });
  expect(replay.status).toBe(410);
  expect(replay.body).toMatchObject({ error_code: "ALREADY_USED" });
  expect(app.handled).toHaveLength(1);
}

/** Refusals every adapter must answer the same way, without running the handler. */
export async function runRefusals(app: FlowApp): Promise<void> {
  const missing = await post(app.baseUrl, "/password-reset", { password: "x" });
  expect(missing.status).toBe(400);
  expect(missing.body.error_code).toBe("MISSING_FIELDS");

  const tampered = await post(app.baseUrl, "/password-reset", { otp: "123456", context: "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
  expect(tampered.status).toBe(400);
  expect(tampered.body.error_code).toBe("INVALID_CONTEXT");

  // A code issued for another purpose never passes this route.
  const email = `other-${Math.random().toString(36).slice(2)}@example.com`;
  const login = await post(app.baseUrl, "/login/request", { email });
  const mismatch = await post(app.baseUrl, "/password-reset", { otp: app.channel.lastCodeFor(email), context: login.body.context });
  expect(mismatch.status).toBe(400);
  expect(mismatch.body.error_code).toBe("CONTEXT_MISMATCH");

  // Attempts run out: even the right code fails, with 429.
  const victim = `max-${Math.random().toString(36).slice(2)}@example.com`;
  let context = (await post(app.baseUrl, "/password-reset/request", { email: victim })).body.context as string;
  const code = app.channel.lastCodeFor(victim)!;
  for (let i = 0; i < 3; i++)
    context =
      ((await post(app.baseUrl, "/password-reset", { otp: wrongCode(code), context })).body.context as string | undefined) ?? context;
  const exhausted = await post(app.baseUrl, "/password-reset", { otp: code, context });
  expect(exhausted.status).toBe(429);
  expect(exhausted.body.error_code).toBe("MAX_RETRIES_EXCEEDED");

  // Methods that change nothing are not checked by default (the Django mixin's rule).
  const read = await fetch(`${app.baseUrl}/password-reset`);
  expect(read.status).toBe(200);
  expect(await read.json()).toEqual({ otpContext: null });
  expect(app.handled).toHaveLength(0);
}

/** The two tests every adapter runs on its app: the client flow, and refusals. */
export function clientFlowTests(app: FlowApp): void {
  it("runs the Django client flow: wrong code, updated context, right code, handler once", async () => {
    await runClientFlow(app);
  });

  it("refuses without running the handler", async () => {
    app.handled.length = 0;
    await runRefusals(app);
  });
}
