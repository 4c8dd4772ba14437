/**
 * The demo page in headless Chromium (Debian's package, driven by playwright-core): enter an
 * email, read the code in the outbox, verify, and see "Verified". Under CI=true a missing
 * Chromium fails; elsewhere the test is skipped with a message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { chromiumAvailable, launchChromium } from "../helpers/chromium.js";

const available = chromiumAvailable("demo page test");

describe.skipIf(!available)("demo page in Chromium", () => {
  let service: RunningService;
  let browser: Browser;

  beforeAll(async () => {
    const config = loadConfig({ OTP_STORE: "memory", PORT: "0", OTP_KEYS: generateKey("b1"), OTP_API_KEYS: "browser-test-api-key-1234" });
    service = await startService(config, { say: () => {}, logger: false });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it("clicks through send → outbox → wrong code → right code and shows verified", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      // Failed requests (the deliberate wrong code) are expected; a CSP refusal or a script error is not.
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) errors.push(message.text());
    });

    await page.goto(`${service.url}/`);
    await page.fill("#email", "browser@example.com");
    await page.click("#send");
    await page.waitForSelector("#check-form:not(.hidden)");
    expect(await page.textContent("#status")).toContain("A code was sent to browser@example.com");

    const outbox = await context.newPage();
    await outbox.goto(`${service.url}/dev/outbox`);
    const code = (await outbox.textContent('tr[data-to="browser@example.com"] td.code'))!.trim();
    expect(code).toMatch(/^\d{6}$/);

    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    await page.fill("#code", wrong);
    await page.click("#verify");
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.includes("Attempts remaining"));
    expect(await page.textContent("#status")).toContain("Invalid OTP. Attempts remaining: 2.");

    await page.fill("#code", code);
    await page.click("#verify");
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.startsWith("Verified"));
    expect(await page.textContent("#status")).toBe("Verified: browser@example.com");
    // The CSP allows everything the page needs: nothing was blocked, nothing threw.
    expect(errors).toEqual([]);
    await context.close();
  });
});
