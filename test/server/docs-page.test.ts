/**
 * /docs in headless Chromium (Debian's package, driven by playwright-core): the bundled renderer
 * draws every operation of /openapi.json under the page's CSP, nothing is blocked or throws, and
 * no request leaves the service's host. Under CI=true a missing Chromium fails; elsewhere the test
 * is skipped with a message.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { chromiumAvailable, launchChromium } from "../helpers/chromium.js";

const available = chromiumAvailable("API reference page test");

describe.skipIf(!available)("/docs in Chromium", () => {
  let service: RunningService;
  let browser: Browser;

  beforeAll(async () => {
    const config = loadConfig({ OTP_STORE: "memory", PORT: "0", OTP_KEYS: generateKey("d1"), OTP_API_KEYS: "docs-test-api-key-1234" });
    service = await startService(config, { say: () => {}, logger: false });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it("renders every operation with the bundled renderer, under the CSP, without a request off the host", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("request", (request) => requests.push(request.url()));

    const response = await page.goto(`${service.url}/docs`);
    expect(response!.headers()["content-security-policy"]).not.toMatch(/unsafe-(eval|inline)/);
    await page.waitForSelector(".opblock-summary-operation-id", { timeout: 20_000 });
    const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const expected = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((operation) => operation.operationId));
    expect(expected).toContain("checkVerification");
    const shown = await page.$$eval(".opblock-summary-operation-id", (nodes) => nodes.map((node) => node.textContent?.trim()));
    expect(shown.sort()).toEqual([...expected].sort());
    // The schemas section lists the named components.
    expect(await page.textContent("body")).toContain("Verification");

    expect(requests.length).toBeGreaterThan(3);
    const origin = new URL(service.url).origin;
    expect(requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith("data:"))).toEqual([]);
    // The CSP allows everything the renderer needs: nothing was blocked, nothing threw.
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
