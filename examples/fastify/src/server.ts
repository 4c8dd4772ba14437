/**
 * Sign-in with a one-time code, on Fastify:
 *
 *   POST /login/start   { email }           → { context }   (the code goes to the email's channel)
 *   POST /login/verify  { code, context }   → { ok, email } (once; a wrong code answers INVALID_OTP)
 */
import Fastify from "fastify";
import { consoleChannel, createOtp } from "otp-actions";
import { otpErrorHandler, otpPlugin } from "otp-actions/fastify";
import { memoryStore } from "otp-actions/stores/memory";

// OTP_KEYS from `npx otp-actions keygen`; every process and restart must seal with the same keys.
// The memory store suits one process; several need a shared one (otp-actions/stores/redis, …).
// The console channel prints codes: give it your email channel in production.
const otp = createOtp({ keys: process.env.OTP_KEYS, store: memoryStore(), channels: [consoleChannel()] });

const app = Fastify();
await app.register(otpPlugin, { otp });
// A refused start (a rate limit, a bad address) throws an OtpError: this answers it.
await app.register(otpErrorHandler);

app.post<{ Body: { email: string } }>("/login/start", async (request) => {
  const { context } = await request.otp.start({ identifier: request.body?.email, purpose: "login" });
  return { context };
});

// config.otp: the plugin checks the body's code and context before the handler, which runs once.
app.post("/login/verify", { config: { otp: { purpose: "login" } } }, async (request) => {
  return { ok: true, email: request.otpContext!.identifier };
});

const port = Number(process.env.PORT ?? 3000);
await app.listen({ port, host: "127.0.0.1" });
console.log(`listening on http://127.0.0.1:${port}`);
