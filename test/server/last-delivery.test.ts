/**
 * /health/otp tells each channel's last delivery: ok or failed, when, and the error code of a
 * failure; never the identifier it went to, nor the provider's message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Channel } from "../../src/contracts/channel.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { buildServer } from "../../src/server/app.js";
import { API_KEY } from "../helpers/server.js";

const PROVIDER_MESSAGE = "provider said no to bounce@example.com";
const channel: Channel = {
  name: "email",
  accepts: "email",
  async deliver(message) {
    if (message.to.startsWith("bounce")) throw new Error(PROVIDER_MESSAGE);
  },
};
const otp = createOtp({ keys: generateKey("h1"), channels: [channel], guard: false, delivery: { retries: 0 } });
let app: Awaited<ReturnType<typeof buildServer>>;

beforeAll(async () => {
  app = await buildServer({ otp, apiKeys: [API_KEY], healthReuseMs: 0 });
});
afterAll(() => app.close());

const health = async () => (await app.inject({ method: "GET", url: "/health/otp" })).json();

describe("/health/otp: each channel's last delivery", () => {
  it("is absent before any delivery, then ok, then failed with its code, and never names the identifier", async () => {
    expect((await health()).checks.channel.lastDelivery).toBeUndefined();

    await otp.start({ identifier: "fine@example.com", purpose: "login" });
    const ok = (await health()).checks.channel;
    expect(ok.lastDelivery).toEqual({ email: { result: "ok", at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } });

    await expect(otp.start({ identifier: "bounce@example.com", purpose: "login" })).rejects.toMatchObject({ code: "DELIVERY_FAILED" });
    const report = await health();
    expect(report.checks.channel.lastDelivery).toEqual({ email: { result: "failed", at: expect.any(String), error: "DELIVERY_FAILED" } });
    // One failed delivery is not an outage: the check stays as the channel's own health says.
    expect(report.checks.channel.ok).toBe(true);
    const text = JSON.stringify(report);
    expect(text).not.toContain("bounce");
    expect(text).not.toContain("fine@");
    expect(text).not.toContain(PROVIDER_MESSAGE);
  });
});
