import { withOtpErrors } from "otp-actions/fetch";
import { otp } from "../../../../lib/otp";

// POST { email } → { context }; the code goes to the email's channel. A refused start (a rate
// limit, a bad address) throws an OtpError, which withOtpErrors answers as { error, error_code, … }.
export const POST = withOtpErrors(async (request: Request) => {
  // Typed as the client should send it: the engine refuses anything but an email or a phone number.
  const body = (await request.json().catch(() => ({}))) as { email: string };
  const { context } = await otp().start({ identifier: body.email, purpose: "login" });
  return Response.json({ context });
});
