/**
 * The console against the WCAG 2.0 and 2.1 A and AA rules a machine can check (axe-core, in
 * headless Chromium): every view, signed in with an admin key and with a read-only audit key,
 * with the traffic of the browser test behind it; the overview on a phone; a confirmation open.
 */
import axe from "axe-core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium } from "../../helpers/chromium.js";
import { ADMIN_KEY, AUDIT_KEY, BOB_E164, BOB_NATIONAL, type ConsoleService, consoleService, traffic } from "./service.js";

const available = chromiumAvailable("console accessibility test");

const WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/** One violation per line: what fails, how badly, what to do, and where. */
function described(violations: axe.Result[]): string[] {
  return violations.map(
    (violation) =>
      `${violation.id} (${violation.impact ?? "no impact"}): ${violation.help} — ${violation.nodes
        .map((node) => `${node.target.join(" ")}${node.failureSummary ? ` [${node.failureSummary.replace(/\s+/g, " ")}]` : ""}`)
        .join("; ")}`,
  );
}

/** WCAG's relative luminance of the first rgb()/rgba() colour in a computed style. */
function luminance(css: string): number {
  const channels = (/rgba?\(([^)]+)\)/.exec(css)?.[1] ?? "0, 0, 0").split(",").slice(0, 3).map(Number);
  const linear = channels.map((c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4));
  return 0.2126 * linear[0]! + 0.7152 * linear[1]! + 0.0722 * linear[2]!;
}

function contrast(a: string, b: string): number {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (high! + 0.05) / (low! + 0.05);
}

/**
 * Runs axe on the page as it is. The page's CSP allows no inline script, so axe's source goes in
 * through page.evaluate: Playwright evaluates over the DevTools protocol, which the CSP does not
 * govern, and the context keeps the page's CSP (no bypassCSP).
 */
async function audit(page: Page, view: string): Promise<void> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axe.source);
  const results = await page.evaluate(
    (values) => (window as unknown as { axe: typeof axe }).axe.run(document, { runOnly: { type: "tag", values } }),
    WCAG_AA,
  );
  expect(described(results.violations), `axe on ${view}`).toEqual([]);
}

describe.skipIf(!available)("the console's accessibility (axe, WCAG 2.1 A and AA)", () => {
  let service: ConsoleService;
  let browser: Browser;
  let bobVerificationId: string;

  beforeAll(async () => {
    service = await consoleService();
    ({ bobVerificationId } = await traffic(service));
    // One lockout: the firing list has a row.
    await service.alerter.evaluate();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.app.close();
  });

  async function open(viewport = DESKTOP): Promise<Page> {
    const context = await browser.newContext({ viewport });
    return context.newPage();
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.goto(`${service.url}/admin`);
    await page.getByLabel("API key").fill(key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
  }

  /** The overview with its charts drawn and their tables shown. */
  async function overview(page: Page): Promise<void> {
    await page.goto(`${service.url}/admin#/overview`);
    await page.locator("#chart-sends canvas").first().waitFor();
    await page.locator("#chart-delivery canvas").first().waitFor();
    for (const summary of await page.getByText("As a table").all()) await summary.click();
    await page.locator("#chart-sends details table").waitFor();
  }

  async function search(page: Page): Promise<void> {
    await page.goto(`${service.url}/admin#/search`);
    await page.getByLabel("Identifier (email or phone)").fill(BOB_NATIONAL);
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator("#search-results tbody tr").first().waitFor();
  }

  async function timeline(page: Page): Promise<void> {
    await page.goto(`${service.url}/admin#/verification/${encodeURIComponent(bobVerificationId)}`);
    await page.locator("#timeline li").first().waitFor();
  }

  async function health(page: Page): Promise<void> {
    await page.goto(`${service.url}/admin#/health`);
    await page.locator("#health-checks tbody tr").first().waitFor();
    await page.locator("#last-delivery tbody tr").first().waitFor();
  }

  it("the sign-in form, and its refusal of a wrong key", async () => {
    const page = await open();
    await page.goto(`${service.url}/admin`);
    await page.getByLabel("API key").waitFor();
    await audit(page, "the sign-in form");
    await page.getByLabel("API key").fill("not-a-key-of-this-service");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    await audit(page, "the sign-in form with its error");
    await page.context().close();
  }, 60_000);

  it("every view of an admin session", async () => {
    const page = await open();
    await signIn(page, ADMIN_KEY);
    await overview(page);
    await audit(page, "the overview");
    // One h1, the console's name; each view's own title under it, and in the window's title.
    expect(await page.getByRole("heading", { level: 1 }).allTextContents()).toEqual(["otp-actions console"]);
    expect(await page.getByRole("heading", { level: 2 }).allTextContents()).toEqual(["Overview"]);
    expect(await page.title()).toBe("Overview · otp-actions console");
    await search(page);
    await audit(page, "the search with results");
    expect(await page.title()).toBe("Search · otp-actions console");
    await timeline(page);
    expect(await page.getByRole("button", { name: "Lift lockout" }).count()).toBe(1);
    await audit(page, "a verification's timeline");

    await page.getByRole("link", { name: "Lockouts" }).click();
    await page.getByLabel("Identifier or identifier hash").waitFor();
    await audit(page, "the lockouts view");

    await page.getByRole("link", { name: "Alerts" }).click();
    await page.locator("#alerts-firing tbody tr").first().waitFor();
    await page.locator("#alert-rules-source").waitFor();
    await audit(page, "the alerts (firing list and rules editor)");
    // The server's refusal of rules that do not hold together.
    await page.getByLabel(/^Rules/).fill(JSON.stringify([{ name: "x", kind: "lockouts", windowSeconds: 1, threshold: 5 }]));
    await page.getByRole("button", { name: "Save rules" }).click();
    await page.getByRole("alert").filter({ hasText: "INVALID_REQUEST" }).waitFor();
    await audit(page, "the alerts with a refusal");

    await health(page);
    await audit(page, "the health");
    await page.context().close();
  }, 90_000);

  it("a confirmation asked before an admin action", async () => {
    const page = await open();
    await signIn(page, ADMIN_KEY);
    await timeline(page);
    await page.getByRole("button", { name: "Lift lockout" }).click();
    await page.getByRole("button", { name: "Confirm" }).waitFor();
    await audit(page, "the timeline asking to confirm a lift");
    // Kept, not confirmed: Bob stays locked out. The focus goes back to the button that asked.
    await page.getByRole("button", { name: "Keep" }).click();
    const focused = () => page.evaluate(() => document.activeElement?.textContent);
    await expect.poll(focused).toBe("Lift lockout");
    // From the keyboard: Enter asks, the focus is on Confirm, Escape keeps.
    await page.keyboard.press("Enter");
    await expect.poll(focused).toBe("Confirm");
    await page.keyboard.press("Escape");
    await expect.poll(focused).toBe("Lift lockout");

    await page.getByRole("link", { name: "Lockouts" }).click();
    await page.getByLabel("Identifier or identifier hash").fill(BOB_E164);
    await page.getByLabel("Purpose").fill("login");
    await page.getByRole("button", { name: "Lift lockout" }).click();
    await page.getByRole("button", { name: "Confirm" }).waitFor();
    await audit(page, "the lockouts view asking to confirm");
    await page.getByRole("button", { name: "Keep" }).click();
    await page.context().close();
  }, 60_000);

  it("every view of a read-only (audit) session", async () => {
    const page = await open();
    await signIn(page, AUDIT_KEY);
    await overview(page);
    await audit(page, "the overview, read only");
    await search(page);
    await audit(page, "the search with results, read only");
    await timeline(page);
    await audit(page, "a verification's timeline, read only");
    await health(page);
    await audit(page, "the health, read only");
    await page.context().close();
  }, 90_000);

  // axe does not measure a focus ring: each focused control's ring (outline or the shadow inside
  // it) must stand out 3:1 from what is behind the control, on the light page as in the dark header.
  it("the focus ring stands out from the page and the header", async () => {
    const page = await open();
    await signIn(page, ADMIN_KEY);
    await page.locator("#chart-sends canvas").first().waitFor();
    const targets = ["#overview-range", "#overview-purpose", "form.filters button[type=submit]", "header nav a", "#sign-out"];
    for (const target of targets) {
      // Reached from the keyboard, as a ring is drawn for (a click on a button draws none).
      await page.locator(target).first().focus();
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("Tab");
      expect(
        await page
          .locator(target)
          .first()
          .evaluate((element) => element === document.activeElement),
      ).toBe(true);
      const { rings, background } = await page
        .locator(target)
        .first()
        .evaluate((element) => {
          // The first opaque background behind the control.
          let behind = element.parentElement;
          while (behind && /^(transparent|rgba\(.*, 0\))$/.test(getComputedStyle(behind).backgroundColor)) behind = behind.parentElement;
          const style = getComputedStyle(element);
          return {
            rings: [style.outlineStyle === "none" ? "" : style.outlineColor, style.boxShadow === "none" ? "" : style.boxShadow],
            background: getComputedStyle(behind ?? document.documentElement).backgroundColor,
          };
        });
      const ring = Math.max(0, ...rings.filter((colour) => colour !== "").map((colour) => contrast(colour, background)));
      expect(ring, `the focus ring of ${target}`).toBeGreaterThanOrEqual(3);
    }
    // The view takes the focus after a link from the keyboard, with no ring drawn around it all.
    await page.getByRole("link", { name: "Search" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("main");
    expect(await page.locator("main").evaluate((main) => [getComputedStyle(main).outlineStyle, getComputedStyle(main).boxShadow])).toEqual([
      "none",
      "none",
    ]);
    await page.context().close();
  }, 60_000);

  it("the overview on a phone", async () => {
    const page = await open(PHONE);
    await signIn(page, ADMIN_KEY);
    await overview(page);
    await audit(page, "the overview on a phone");
    await page.context().close();
  }, 60_000);
});
