/**
 * The alerting rules load in Prometheus (promtool check rules), their unit tests pass (promtool
 * test rules: alerts fire on the series that should set them off and stay quiet before), and
 * every query of the Grafana dashboard parses.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { dashboardExpressions, RULES_FILE } from "../helpers/promql.js";
import { promtool, requirePromtool } from "../helpers/promtool.js";

const available = requirePromtool();
const RULES = fileURLToPath(RULES_FILE);
const RULES_DIR = fileURLToPath(new URL(".", RULES_FILE));

describe.skipIf(!available)("Prometheus rules (promtool)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "otp-rules-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("loads: promtool check rules", () => {
    const { status, output } = promtool(["check", "rules", RULES]);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(status, output).toBe(0);
  });

  it("fires as its unit tests say: promtool test rules", () => {
    const { status, output } = promtool(["test", "rules", "otp-actions.rules.test.yml"], RULES_DIR);
    expect(status, output).toBe(0);
    expect(output).toContain("SUCCESS");
  });

  it("rejects a broken rule, so the checks above mean something", () => {
    const broken = join(scratch, "broken.rules.yml");
    writeFileSync(broken, stringify({ groups: [{ name: "x", rules: [{ alert: "Broken", expr: "sum(rate(otp_events_total[5m]" }] }] }));
    expect(promtool(["check", "rules", broken]).status).not.toBe(0);
  });

  it("parses every query of the Grafana dashboard", () => {
    const queries = dashboardExpressions();
    expect(queries.length).toBeGreaterThan(10);
    // promtool parses expressions of rules: each query becomes a recording rule.
    const file = join(scratch, "dashboard.rules.yml");
    const rules = queries.map((expr, i) => ({ record: `dashboard:query_${i}`, expr }));
    writeFileSync(file, stringify({ groups: [{ name: "dashboard", rules }] }));
    const { status, output } = promtool(["check", "rules", file]);
    expect(status, output).toBe(0);
  });
});
