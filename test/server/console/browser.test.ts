/**
 * The console in headless Chromium: sign in with the keyboard, search the traffic a backend sent
 * by a national-format number, open a verification's timeline, download the rows as CSV, read the
 * health, sign out; on a phone-sized screen too; nothing blocked by the CSP, nothing fetched from
 * another host. Screenshots of each view land in test-artifacts/console/.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium } from "../../helpers/chromium.js";
import { ADMIN_KEY, AUDIT_KEY, BOB_E164, BOB_NATIONAL, CLIENT, type ConsoleService, consoleService, traffic } from "./service.js";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "../../../test-artifacts/console");
const available = chromiumAvailable("console page test");

interface Watched {
  page: Page;
  context: BrowserContext;
  /** Page errors and console errors (a CSP violation is one). */
  errors: string[];
  /** Every URL the page asked for. */
  requests: string[];
}

describe.skipIf(!available)("the console in Chromium", () => {
  let service: ConsoleService;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    service = await consoleService();
    await traffic(service);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.app.close();
  });

  async function open(viewport = { width: 1280, height: 900 }): Promise<Watched> {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    const watched: Watched = { page, context, errors: [], requests: [] };
    page.on("pageerror", (error) => watched.errors.push(error.message));
    page.on("console", (message) => {
      // The page asks whether it is signed in; "no" is a 401 the browser reports, not a fault.
      if (message.type() === "error" && !/status of 401/.test(message.text())) watched.errors.push(message.text());
    });
    page.on("request", (request) => watched.requests.push(request.url()));
    page.on("response", (response) => {
      if (response.headers()["content-type"]?.startsWith("text/html"))
        expect(response.headers()["content-security-policy"], response.url()).toMatch(/script-src 'self'/);
    });
    return watched;
  }

  async function signIn(page: Page, key: string): Promise<void> {
    const response = await page.goto(`${service.url}/admin`);
    expect(response!.headers()["content-security-policy"]).not.toMatch(/unsafe-inline|unsafe-eval/);
    await page.getByLabel("API key").waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "sign-in.png"), fullPage: true });
    await page.getByLabel("API key").focus();
    await page.keyboard.type(key);
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Sign out" }).waitFor();
  }

  /** The origin's own requests only; 401s of a session check before sign-in are the page's to handle. */
  function offHost(watched: Watched): string[] {
    const origin = new URL(service.url).origin;
    return watched.requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith("blob:") && !url.startsWith("data:"));
  }

  it("finds a national-format number's rows, opens its timeline in order, and exports the same rows as CSV", async () => {
    const watched = await open();
    const { page } = watched;
    await signIn(page, ADMIN_KEY);

    await page.goto(`${service.url}/admin#/search`);
    await page.getByLabel("Identifier (email or phone)").fill(BOB_NATIONAL);
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator("#search-results tbody tr").first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "search.png"), fullPage: true });

    // The same rows the API finds by the E.164 form.
    const expected = await service.api("/audit/query", { identifier: BOB_E164, limit: 500 });
    const rows = (expected.body.rows as Array<{ eventId: string; action: string; at: string }>) ?? [];
    expect(rows.length).toBeGreaterThanOrEqual(6);
    expect(await page.locator("#search-results tbody tr").count()).toBe(rows.length);
    const shown = await page.locator("#search-results tbody tr td:nth-child(2)").allTextContents();
    expect(shown).toEqual(rows.map((row) => row.action));
    expect(shown).toContain("rate_limited");
    // No code anywhere on the page.
    expect(await page.textContent("body")).not.toContain(service.codeFor(BOB_E164));

    // CSV: a header, then exactly the filtered rows.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    await download.saveAs(join(ARTIFACTS, "search.csv"));
    const csv = readFileSync(join(ARTIFACTS, "search.csv"), "utf8").trim().split(/\r?\n/);
    expect(csv[0]).toMatch(/^event_id,/);
    expect(csv.length - 1).toBe(rows.length);
    for (const row of rows) expect(csv.some((line) => line.includes(row.eventId))).toBe(true);

    // An identifier hash copied from the export finds the same rows.
    const header = csv[0]!.split(",");
    const copied = csv[1]!.split(",")[header.indexOf("identifier_hash")]!;
    expect(copied).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    await page.getByLabel("Identifier (email or phone)").fill("");
    // A hash that starts with "-" is exported as "'-…" (spreadsheet-safe): pasted so, it still matches.
    for (const pasted of [copied, `'${copied}`]) {
      await page.getByLabel("Identifier hash (from a row or an export)").fill(pasted);
      await page.getByRole("button", { name: "Search" }).click();
      await expect.poll(() => page.locator("#search-results tbody tr").count()).toBe(rows.length);
      await page
        .getByRole("status")
        .filter({ hasText: `${rows.length} rows` })
        .waitFor();
    }
    await page.getByLabel("Identifier hash (from a row or an export)").fill("");

    // The first verification: its timeline, oldest first, with the request's IP and user agent.
    const link = page.locator("#search-results tbody tr td:nth-child(8) a").last();
    const verificationId = await link.textContent();
    await link.click();
    await page.locator("#timeline li").first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "timeline.png"), fullPage: true });
    const times = await page.locator("#timeline time").evaluateAll((nodes) => nodes.map((node) => node.getAttribute("datetime")!));
    expect(times.length).toBeGreaterThanOrEqual(4);
    expect([...times].sort()).toEqual(times);
    const actions = await page.locator("#timeline li").evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-action")));
    expect(actions[0]).toBe("generated");
    expect(actions.filter((action) => action === "failed")).toHaveLength(3);
    expect(await page.locator("#timeline .ip").first().textContent()).toBe(CLIENT.ip);
    expect(await page.locator("#timeline .ua").first().textContent()).toBe(CLIENT.userAgent);
    expect(await page.locator("h2").textContent()).toContain(verificationId!);

    expect(watched.errors).toEqual([]);
    expect(offHost(watched)).toEqual([]);
    await watched.context.close();
  }, 90_000);

  it("draws the overview of the traffic: counts over time, conversion, latencies, refusals by limit, channel and source", async () => {
    const watched = await open();
    const { page } = watched;
    await signIn(page, AUDIT_KEY);
    await page.locator("#chart-sends canvas").first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "overview.png"), fullPage: true });
    const now = Date.now();
    const stats = (
      await service.api("/audit/stats", { from: new Date(now - 86_400_000).toISOString(), to: new Date(now + 60_000).toISOString() })
    ).body as { totals: Record<string, number> };
    // The traffic: three codes sent (one to a channel that failed), one approval, three wrong codes, a lockout, a refusal.
    expect(stats.totals).toMatchObject({ sent: 3, approved: 1, failedChecks: 3, lockouts: 1, rateLimited: 1, deliveryFailed: 1 });
    expect(await page.locator("#card-sent .value").textContent()).toBe("3");
    expect(await page.locator("#card-approved .value").textContent()).toBe("1");
    expect(await page.locator("#card-conversion .value").textContent()).toBe("33.3 %");
    expect(await page.locator("#card-check-latency .value").textContent()).toMatch(/^[\d.]+ ms \/ [\d.]+ ms$/);
    // Each chart's numbers (its table) add up to the range's totals.
    const sum = async (chart: string, series: string) =>
      (await page.locator(`${chart} td[data-series="${series}"]`).allTextContents()).reduce((total, value) => total + Number(value), 0);
    expect(await sum("#chart-sends", "Sent")).toBe(3);
    expect(await sum("#chart-sends", "Approved")).toBe(1);
    expect(await sum("#chart-failures", "Failed checks")).toBe(3);
    expect(await sum("#chart-failures", "Lockouts")).toBe(1);
    expect(await sum("#chart-rate-limited", "Rate limited")).toBe(1);
    expect(await sum("#chart-delivery", "Delivery failed")).toBe(1);
    for (const chart of ["sends", "failures", "rate-limited", "delivery"])
      expect(await page.locator(`#chart-${chart} canvas`).count()).toBeGreaterThan(0);
    expect(await page.locator("#by-limit").textContent()).toContain("failures_per_identifier_and_ip");
    expect(await page.locator("#by-channel tr", { hasText: "push" }).locator("td").allTextContents()).toEqual(["push", "0", "1"]);
    expect(await page.locator("#top-ips").textContent()).toContain(CLIENT.ip);
    expect(await page.locator("#top-countries").textContent()).toContain("US");

    // A narrower choice: the purpose no traffic had shows nothing.
    await page.getByLabel("Purpose").fill("payment");
    await page.getByRole("button", { name: "Show" }).click();
    await expect.poll(() => page.locator("#card-sent .value").textContent()).toBe("0");

    // A custom range of two days starts on the hour (the logs answer whole hours from their
    // hourly counts), and the page says which range it shows.
    await page.getByLabel("Purpose").fill("");
    await page.getByLabel("Range").selectOption("custom");
    await page.locator("#overview-from").fill("2026-11-02T09:17");
    await page.locator("#overview-to").fill("2026-11-04T09:17");
    const asked = page.waitForRequest((request) => request.url().endsWith("/v1/audit/stats"));
    await page.getByRole("button", { name: "Show" }).click();
    const body = (await asked).postDataJSON() as { from: string; to: string };
    expect(new Date(body.from).getTime() % 3_600_000).toBe(0);
    expect(new Date(body.to).getTime() - new Date(body.from).getTime()).toBeGreaterThan(48 * 3_600_000);
    await expect.poll(() => page.locator("#overview-shown").textContent()).toContain("by hour");
    expect(watched.errors).toEqual([]);
    await watched.context.close();
  }, 60_000);

  it("shows the health of the store, the channels and the audit log", async () => {
    const watched = await open();
    const { page } = watched;
    await signIn(page, AUDIT_KEY);
    await page.goto(`${service.url}/admin#/health`);
    await page.locator("#health-checks tbody tr").first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "health.png"), fullPage: true });
    const names = await page.locator("#health-checks tbody th").allTextContents();
    expect(names).toEqual(expect.arrayContaining(["store", "audit"]));
    expect(await page.locator("#health-status").textContent()).toMatch(/^(ok|degraded|fail)$/);
    // The push channel's delivery failed; email's went through.
    expect(await page.locator("#last-delivery tr", { hasText: "push" }).locator("td").first().textContent()).toBe("failed");
    expect(await page.locator("#last-delivery tr", { hasText: "email" }).locator("td").first().textContent()).toBe("ok");
    expect(watched.errors).toEqual([]);
    await watched.context.close();
  }, 60_000);

  it("reads well on a phone: nothing wider than the screen, every view reachable", async () => {
    const watched = await open({ width: 360, height: 740 });
    const { page } = watched;
    await signIn(page, ADMIN_KEY);
    await page.goto(`${service.url}/admin#/search`);
    await page.getByLabel("Identifier (email or phone)").fill("alice@example.com");
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator("#search-results tbody tr").first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "search-phone.png"), fullPage: true });
    // Wide tables scroll inside their own box; the page itself never scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect(watched.errors).toEqual([]);
    await watched.context.close();
  }, 60_000);

  it("works from the keyboard: a new view takes the focus, and Tab leads into it", async () => {
    const watched = await open();
    const { page } = watched;
    await signIn(page, ADMIN_KEY);
    const focused = () => page.evaluate(() => document.activeElement?.id);
    await expect.poll(focused).toBe("main");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("overview-range");
    await page.getByRole("link", { name: "Search" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(focused).toBe("main");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("search-identifier");
    await page.keyboard.type("alice@example.com");
    await page.keyboard.press("Enter");
    await page.locator("#search-results tbody tr").first().waitFor();
    expect(await page.locator("#search-results tbody tr").count()).toBe(3);
    expect(watched.errors).toEqual([]);
    await watched.context.close();
  }, 60_000);

  it("signs out: the form comes back and the cookie opens nothing any more", async () => {
    const watched = await open();
    const { page, context } = watched;
    await signIn(page, ADMIN_KEY);
    const cookies = await context.cookies();
    const cookie = cookies.find((entry) => entry.name.endsWith("otp_console"));
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    // The key is nowhere the page's script can read.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    expect(stored).not.toContain(ADMIN_KEY);
    expect(await page.content()).not.toContain(ADMIN_KEY);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API key").waitFor();
    const after = await fetch(`${service.url}/admin/session`, { headers: { cookie: `${cookie!.name}=${cookie!.value}` } });
    expect(after.status).toBe(401);
    expect(watched.errors).toEqual([]);
    await context.close();
  }, 60_000);
  it("lists the firing alerts and saves edited rules", async () => {
    await service.alerter.evaluate();
    const watched = await open();
    const { page } = watched;
    await signIn(page, ADMIN_KEY);
    await page.getByRole("link", { name: "Alerts" }).click();
    await page.locator("#alerts-firing tbody tr").first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "alerts.png"), fullPage: true });
    expect(await page.locator("#alerts-firing tbody tr td").allTextContents()).toEqual(
      expect.arrayContaining(["lockout-spike", "lockouts"]),
    );
    // This service keeps its audit log in memory and has no rules file: the view says saved rules are not kept.
    expect(await page.locator("#alert-rules-source").textContent()).toBe("In force: the configuration's rules (none saved yet).");
    await page.getByRole("note").filter({ hasText: "lost on restart" }).waitFor();
    const rules = [{ name: "lockout-spike", kind: "lockouts", windowSeconds: 600, threshold: 5 }];
    await page.getByLabel(/^Rules/).fill(JSON.stringify(rules));
    await page.getByRole("button", { name: "Save rules" }).click();
    await page.getByRole("status").filter({ hasText: "Saved in this instance's memory only" }).waitFor();
    expect(await page.locator("#alert-rules-source").textContent()).toBe("In force: rules saved in this instance's memory only.");
    expect(service.alerter.rules()).toEqual(rules);
    // Rules that do not hold together are refused, with the server's reason.
    await page.getByLabel(/^Rules/).fill(JSON.stringify([{ name: "x", kind: "lockouts", windowSeconds: 1, threshold: 5 }]));
    await page.getByRole("button", { name: "Save rules" }).click();
    await page.getByRole("alert").filter({ hasText: "INVALID_REQUEST" }).waitFor();
    expect(service.alerter.rules()).toEqual(rules);
    await watched.context.close();
  }, 60_000);

  it("offers no action to a read-only (audit) session", async () => {
    const watched = await open();
    const { page } = watched;
    await signIn(page, AUDIT_KEY);
    expect(await page.getByRole("link", { name: /Lockouts|Alerts/ }).count()).toBe(0);
    const rows = (await service.api("/audit/query", { identifier: BOB_E164, limit: 1 })).body.rows as Array<{ verificationId: string }>;
    await page.goto(`${service.url}/admin#/verification/${rows[0]!.verificationId}`);
    await page.locator("#timeline li").first().waitFor();
    expect(await page.getByRole("button", { name: /Lift lockout|Cancel verification/ }).count()).toBe(0);
    expect(watched.errors).toEqual([]);
    await watched.context.close();
  }, 60_000);

  it("cancels a pending verification after confirmation: its code no longer works", async () => {
    const watched = await open();
    const { page } = watched;
    await signIn(page, ADMIN_KEY);
    const started = await service.api("/verifications", {
      identifier: "dave@example.com",
      purpose: "login",
      channel: "email",
      client: CLIENT,
    });
    await service.flushAudit();
    await page.goto(`${service.url}/admin#/verification/${started.body.id as string}`);
    await page.getByRole("button", { name: "Cancel verification" }).click();
    // Nothing happens before the confirmation.
    await page.getByRole("button", { name: "Confirm" }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "cancel-confirm.png"), fullPage: true });
    expect((await service.api("/audit/query", { verificationId: started.body.id, action: "revoked" })).body.rows).toEqual([]);
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByRole("status").filter({ hasText: "Canceled." }).waitFor();
    const check = await service.api("/verifications/check", {
      context: started.body.context,
      code: service.codeFor("dave@example.com"),
      purpose: "login",
    });
    expect(check.status).toBe(410);
    expect(check.body.error_code).toBe("CANCELED");
    expect(watched.errors).toEqual([]);
    await watched.context.close();
  }, 60_000);

  // Last: it changes Bob's rows, which the search test counts.
  it("lifts a lockout from the timeline: the locked-out user verifies a new code at once", async () => {
    const watched = await open();
    const { page } = watched;
    await signIn(page, ADMIN_KEY);
    // Bob is locked out since the traffic (which checked the refusal).
    await service.flushAudit();

    await page.goto(`${service.url}/admin#/search`);
    await page.getByLabel("Identifier (email or phone)").fill(BOB_NATIONAL);
    await page.getByLabel("Action").selectOption("rate_limited");
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator("#search-results tbody tr td:nth-child(8) a").last().click();
    await page.getByRole("button", { name: "Lift lockout" }).click();
    await page.screenshot({ path: join(ARTIFACTS, "lift-confirm.png"), fullPage: true });
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByRole("status").filter({ hasText: "Lifted" }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "lifted.png"), fullPage: true });

    const fresh = await service.api("/verifications", { identifier: BOB_NATIONAL, purpose: "login", channel: "sms", client: CLIENT });
    const approved = await service.api("/verifications/check", {
      context: fresh.body.context,
      code: service.codeFor(BOB_E164),
      purpose: "login",
      client: CLIENT,
    });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe("approved");
    expect(watched.errors).toEqual([]);
    await watched.context.close();
  }, 60_000);
});
