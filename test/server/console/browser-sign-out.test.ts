/**
 * Signing out in Chromium while the store does not answer: the page says the sign-out did not go
 * through and stays signed in (the session is still live on every instance); once the store
 * answers, the same button signs out and the cookie opens nothing any more. A page opened during
 * the outage says the session could not be checked, rather than showing the sign-in form alone.
 */
import type { FastifyInstance } from "fastify";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerStore } from "../../../src/contracts/ledger.js";
import { generateKey } from "../../../src/core/keyring.js";
import { memoryStore } from "../../../src/stores/memory.js";
import { chromiumAvailable, launchChromium } from "../../helpers/chromium.js";
import { ADMIN_KEY, instance } from "./instances.js";

const available = chromiumAvailable("console sign-out page test");

/** A memory store whose marks fail while `down` is set, as a store out of reach does. */
function faultyStore(): LedgerStore & { down: boolean } {
  const memory = memoryStore();
  const store = {
    down: false,
    kind: "memory",
    inProcess: true,
    open: memory.open.bind(memory),
    record: memory.record.bind(memory),
    revoke: memory.revoke.bind(memory),
    inspect: memory.inspect.bind(memory),
    health: memory.health.bind(memory),
    close: memory.close.bind(memory),
    advance: (...args: Parameters<typeof memory.advance>) =>
      store.down ? Promise.reject(new Error("store out of reach")) : memory.advance(...args),
  };
  return store;
}

describe.skipIf(!available)("signing out in Chromium while the store does not answer", () => {
  const store = faultyStore();
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    app = await instance({ keys: generateKey("bso"), store, console: { secureCookie: false } });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it("says the sign-out did not go through and stays signed in; once the store answers, it signs out", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/admin`);
    await page.getByLabel("API key").fill(ADMIN_KEY);
    await page.keyboard.press("Enter");
    const signOut = page.getByRole("button", { name: "Sign out" });
    await signOut.waitFor();
    const [cookie] = await context.cookies();
    const header = { cookie: `${cookie!.name}=${cookie!.value}` };

    store.down = true;
    await signOut.click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/^Not signed out: .*\(STORE_UNAVAILABLE\)$/);
    expect(await signOut.isVisible()).toBe(true);

    store.down = false;
    expect((await fetch(`${url}/admin/session`, { headers: header })).status).toBe(200);
    await signOut.click();
    await page.getByLabel("API key").waitFor();
    expect((await fetch(`${url}/admin/session`, { headers: header })).status).toBe(401);
    await context.close();
  }, 60_000);

  it("a page opened while the store does not answer says the session could not be checked; once it answers, the session is there", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/admin`);
    await page.getByLabel("API key").fill(ADMIN_KEY);
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Sign out" }).waitFor();

    store.down = true;
    await page.reload();
    await expect
      .poll(() => page.locator("#session-unchecked").textContent())
      .toMatch(/^Your session could not be checked: .*\(STORE_UNAVAILABLE\)\. Reload once the service answers\.$/);
    expect(await page.getByLabel("API key").isVisible()).toBe(true);

    store.down = false;
    await page.reload();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(await page.locator("#session-unchecked").count()).toBe(0);
    await context.close();
  }, 60_000);
});
