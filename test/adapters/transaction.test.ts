import { describe, expect, it } from "vitest";
import { otpVerified } from "../../src/adapters/fetch.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";

const PAYMENT = { amount: "12.50", currency: "EUR", payee: "ACME Books" };

describe("a protected route bound to a transaction", () => {
  it("checks the code against the transaction the route names; another one is refused and uses an attempt", async () => {
    const otp = createOtp({ keys: generateKey("tx"), guard: false, maxAttempts: 3 });
    const { code, context } = await otp.generate({ identifier: "pay@example.com", purpose: "payment", transaction: PAYMENT });
    // The app names the payment from its own state (here a header stands in for it), never from the body.
    const handler = otpVerified(
      otp,
      { purpose: "payment", transaction: (request) => ({ ...PAYMENT, amount: request.headers.get("x-amount") ?? "0.00" }) },
      async () => new Response("paid"),
    );
    const post = (amount: string) =>
      handler(new Request("http://x/", { method: "POST", headers: { "x-amount": amount }, body: JSON.stringify({ code, context }) }));

    const refused = await post("99.00");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error_code: "CONTEXT_MISMATCH", attempts_remaining: 2 });
    const paid = await post("12.50");
    expect(paid.status).toBe(200);
    expect(await paid.text()).toBe("paid");
  });
});
