import { otpVerified } from "otp-actions/fetch";
import { otp } from "../../../../lib/otp";

// POST { code, context } → { ok, email }: the handler runs once, after the right code; every
// refusal (a wrong code: INVALID_OTP with attempts_remaining) answers { error, error_code, … }.
export async function POST(request: Request): Promise<Response> {
  const verify = otpVerified(otp(), { purpose: "login" }, async (_request, { otpContext }) =>
    // Sign the user in here.
    Response.json({ ok: true, email: otpContext!.identifier }),
  );
  return verify(request);
}
