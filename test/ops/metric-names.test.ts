/**
 * Every metric the alerting rules and the Grafana dashboard query is one the service exports:
 * a live service is scraped after a start, a failed check and a successful one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";
import { wrong } from "../helpers/server.js";
import { dashboardExpressions, exportedNames, metricNames, ruleExpressions } from "../helpers/promql.js";

const API_KEY = "metric-names-api-key-0123456789";
const AUTH = { authorization: `Bearer ${API_KEY}` };

describe("metric names in ops/", () => {
  let service: RunningService;
  let exported: Set<string>;

  beforeAll(async () => {
    const config = loadConfig({ OTP_STORE: "memory", PORT: "0", OTP_KEYS: generateKey("m1"), OTP_API_KEYS: `${API_KEY} admin` });
    service = await startService(config, { say: () => {}, logger: false });
    const started = await service.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: AUTH,
      payload: { identifier: "metrics@example.com", purpose: "login" },
    });
    expect(started.statusCode).toBe(201);
    const { context } = started.json() as { context: string };
    const code = service.outbox!.list().find((entry) => entry.to === "metrics@example.com")!.code;
    const check = (value: string) =>
      service.app.inject({
        method: "POST",
        url: "/v1/verifications/check",
        headers: AUTH,
        payload: { code: value, context, purpose: "login" },
      });
    expect((await check(wrong(code))).statusCode).toBe(400);
    expect((await check(code)).statusCode).toBe(200);
    // Scraped over HTTP, as Prometheus does.
    const scraped = await fetch(`${service.url}/metrics`, { headers: AUTH });
    expect(scraped.status).toBe(200);
    exported = exportedNames(await scraped.text());
  });
  afterAll(async () => service?.stop());

  it("reads metric names out of PromQL", () => {
    expect(
      metricNames(
        'sum by (channel) (rate(otp_events_total{type="a",x=~"b|c"}[5m])) / (sum(rate(foo_total[1h] offset 5m)) or vector(0)) > 0.2 and up',
      ),
    ).toEqual(["otp_events_total", "foo_total", "up"]);
    expect(metricNames('histogram_quantile(0.95, sum by (le) (rate(otp_time_to_verify_seconds_bucket{purpose=~".*"}[5m])))')).toEqual([
      "otp_time_to_verify_seconds_bucket",
    ]);
    expect([...exportedNames('# TYPE h histogram\n# TYPE c counter\nc 1\ng{a="b"} 2\n')].sort()).toEqual([
      "c",
      "g",
      "h_bucket",
      "h_count",
      "h_sum",
    ]);
  });

  it("the service exports what the rules and the dashboard need", () => {
    expect(exported).toContain("otp_events_total");
    expect(exported).toContain("otp_time_to_verify_seconds_bucket");
    for (const [source, expressions] of [
      ["ops/prometheus/otp-actions.rules.yml", ruleExpressions()],
      ["ops/grafana/otp-actions.json", dashboardExpressions()],
    ] as const) {
      const named = new Set(expressions.flatMap(metricNames));
      expect(named.size, source).toBeGreaterThan(3);
      const missing = [...named].filter((name) => !exported.has(name));
      expect(missing, `${source} queries metrics the service does not export`).toEqual([]);
    }
  });
});
