/**
 * Sign-in with a one-time code, on Express:
 *
 *   POST /login/start   { email }           → { context }   (the code goes to the email's channel)
 *   POST /login/verify  { code, context }   → { ok, email } (once; a wrong code answers INVALID_OTP)
 */
import express from "express";
import { consoleChannel, createOtp, OtpError } from "otp-actions";
import { otpErrorHandler, otpProtected, otpVerified } from "otp-actions/express";
import { memoryStore } from "otp-actions/stores/memory";

// OTP_KEYS from `npx otp-actions keygen`; every process and restart must seal with the same keys.
// The memory store suits one process; several need a shared one (otp-actions/stores/redis, …).
// The console channel prints codes: give it your email channel in production.
const otp = createOtp({ keys: process.env.OTP_KEYS, store: memoryStore(), channels: [consoleChannel()] });

const app = express();
app.use(express.json());

app.post("/login/start", otpProtected(otp), async (req, res) => {
  // A refused start (a rate limit, a bad address) throws an OtpError: otpErrorHandler answers it.
  const { context } = await req.otp!.start({ identifier: req.body?.email, purpose: "login" });
  res.json({ context });
});

app.post("/login/verify", otpVerified(otp, { purpose: "login" }), (req, res) => {
  // Runs once per verification, after the right code; sign the user in here.
  res.json({ ok: true, email: req.otpContext!.identifier });
});

// A body express.json() cannot read answers in the same shape as every other refusal.
app.use((error: { type?: string }, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
  if (error.type === "entity.parse.failed") return next(new OtpError("INVALID_REQUEST"));
  if (error.type === "entity.too.large") return next(new OtpError("PAYLOAD_TOO_LARGE"));
  next(error);
});
app.use(otpErrorHandler());

const port = Number(process.env.PORT ?? 3000);
app.listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}`));
