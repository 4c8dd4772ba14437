/**
 * Sign-in with a one-time code, on Hono (Node.js server; the routes run as they are on Bun, Deno
 * and workers, which hand Hono the same Web Request):
 *
 *   POST /login/start   { email }           → { context }   (the code goes to the email's channel)
 *   POST /login/verify  { code, context }   → { ok, email } (once; a wrong code answers INVALID_OTP)
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { consoleChannel, createOtp } from "otp-actions";
import { otpProtected, otpVerified } from "otp-actions/fetch";
import { memoryStore } from "otp-actions/stores/memory";

// OTP_KEYS from `npx otp-actions keygen`; every process and restart must seal with the same keys.
// The memory store suits one process; several need a shared one (otp-actions/stores/redis, …).
// The console channel prints codes: give it your email channel in production.
const otp = createOtp({ keys: process.env.OTP_KEYS, store: memoryStore(), channels: [consoleChannel()] });

// The fetch adapter's handlers take the Web Request (c.req.raw) and answer a Response; an OtpError
// they throw (a refused start: a rate limit, a bad address) answers { error, error_code, … }.
const start = otpProtected(otp, async (request, { otp }) => {
  // Typed as the client should send it: the engine refuses anything but an email or a phone number.
  const body = (await request.json().catch(() => ({}))) as { email: string };
  const { context } = await otp.start({ identifier: body.email, purpose: "login" });
  return Response.json({ context });
});

const verify = otpVerified(otp, { purpose: "login" }, async (_request, { otpContext }) =>
  // Runs once per verification, after the right code; sign the user in here.
  Response.json({ ok: true, email: otpContext!.identifier }),
);

const app = new Hono();
app.post("/login/start", (c) => start(c.req.raw));
app.post("/login/verify", (c) => verify(c.req.raw));

const port = Number(process.env.PORT ?? 3000);
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => console.log(`listening on http://127.0.0.1:${port}`));
