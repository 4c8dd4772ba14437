import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/stores/memory.js";
import { API_KEY, AUTH, testServer, type TestServer } from "../helpers/server.js";

let dev: TestServer;
let prod: TestServer;
beforeAll(async () => {
  dev = await testServer();
  prod = await testServer({ development: false });
});
afterAll(async () => {
  await dev.app.close();
  await prod.app.close();
});

describe("headers", () => {
  it("pages get a CSP without inline script, and the hardening headers", async () => {
    const response = await dev.app.inject({ method: "GET", url: "/" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/html/);
    const csp = String(response.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
    expect(response.headers["x-frame-options"]).toBe("DENY");
    expect(response.headers["referrer-policy"]).toBe("no-referrer");
    expect(response.body).not.toMatch(/<script>(?!<)/);
  });

  it("every response has a request id; a caller's plain one is kept, an odd one replaced", async () => {
    const kept = await dev.app.inject({ method: "GET", url: "/openapi.json", headers: { "x-request-id": "abc-123" } });
    expect(kept.headers["x-request-id"]).toBe("abc-123");
    const replaced = await dev.app.inject({ method: "GET", url: "/openapi.json", headers: { "x-request-id": "<script>" } });
    expect(replaced.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const unauthorized = await dev.app.inject({ method: "POST", url: "/v1/verifications/check", payload: {} });
    expect(unauthorized.headers["x-request-id"]).toBeTruthy();
    expect(unauthorized.headers["cache-control"]).toBe("no-store");
  });
});

describe("/health/otp", () => {
  it("is 200 with each check when everything works", async () => {
    const response = await dev.app.inject({ method: "GET", url: "/health/otp" });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe("ok");
    expect(body.checks.keys.ok).toBe(true);
    expect(body.checks.roundTrip).toMatchObject({ ok: true, limitMs: 100 });
    expect(body.checks.roundTrip.latencyMs).toBeLessThan(100);
    expect(body.checks.store).toEqual({ ok: true, kind: "memory" });
    expect(body.checks.channel).toMatchObject({ ok: true, channels: ["email", "sms", "console"] });
    // Health probes never deliver anything.
    expect(dev.outbox.list().some((message) => message.purpose === "health_check")).toBe(false);
  });

  it("is 503 naming the failing check when the store is down", async () => {
    const store = new MemoryStore();
    const broken = await testServer({ store });
    store.health = async () => {
      throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    };
    store.open = async () => {
      throw new Error("down");
    };
    const response = await broken.app.inject({ method: "GET", url: "/health/otp" });
    expect(response.statusCode).toBe(503);
    const body = response.json();
    expect(body.status).toBe("fail");
    expect(body.checks.store).toEqual({ ok: false, kind: "memory", error: "STORE_UNAVAILABLE" });
    expect(body.checks.roundTrip.ok).toBe(false);
    expect(body.checks.keys.ok).toBe(true);
    // And the API fails closed with 503, never a 500.
    const start = await broken.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: AUTH,
      payload: { identifier: "x@example.com", purpose: "login" },
    });
    expect(start.statusCode).toBe(503);
    expect(start.json().error_code).toBe("STORE_UNAVAILABLE");
    await broken.app.close();
  });
});

describe("/openapi.json and /docs", () => {
  it("documents every /v1 route from the schemas it validates with", async () => {
    const doc = (await dev.app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/health/live",
      "/health/otp",
      "/health/ready",
      "/v1/admin/lockouts/lift",
      "/v1/admin/verifications/{id}/cancel",
      "/v1/factors/totp",
      "/v1/factors/totp/confirm",
      "/v1/factors/totp/recovery-codes",
      "/v1/factors/totp/recovery-codes/use",
      "/v1/factors/totp/verify",
      "/v1/verifications",
      "/v1/verifications/cancel",
      "/v1/verifications/check",
      "/v1/verifications/resend",
      "/v1/verifications/{id}",
    ]);
    const status = doc.paths["/v1/verifications/{id}"].get;
    expect(status.parameters).toEqual([expect.objectContaining({ name: "id", in: "path", required: true })]);
    expect(Object.keys(status.responses).sort()).toEqual(["200", "400", "401", "403", "404", "417", "503"]);
    const check = doc.paths["/v1/verifications/check"].post;
    expect(check.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/CheckVerification" });
    expect(doc.components.schemas.CheckVerification.required).toEqual(["context", "code", "purpose"]);
    expect(Object.keys(check.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "410", "429", "503"]));
    expect(doc.paths["/v1/verifications"].post.responses["201"]).toBeDefined();
  });

  it("/docs loads the bundled renderer from this origin, under a CSP without inline script or eval", async () => {
    const docs = await dev.app.inject({ method: "GET", url: "/docs" });
    expect(docs.statusCode).toBe(200);
    const csp = String(docs.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)|https?:/);
    expect(docs.body).not.toMatch(/<script>(?!<)/);
    const sources = [...docs.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(sources.sort()).toEqual(["/docs/assets/init.js", "/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"]);
    for (const source of sources) {
      const asset = await dev.app.inject({ method: "GET", url: source });
      expect(asset.statusCode, source).toBe(200);
      expect(asset.headers["content-type"]).toMatch(source.endsWith(".css") ? /^text\/css/ : /^text\/javascript/);
    }
    expect((await dev.app.inject({ method: "GET", url: "/docs/assets/swagger-ui-bundle.js" })).body.length).toBeGreaterThan(500_000);
  });
});

describe("/dev/outbox", () => {
  it("lists recent messages as HTML, and as JSON when asked", async () => {
    await dev.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: AUTH,
      payload: { identifier: "<b>x</b>@example.com", purpose: "login" },
    });
    await dev.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: AUTH,
      payload: { identifier: "outbox@example.com", purpose: "login" },
    });
    const json = await dev.app.inject({ method: "GET", url: "/dev/outbox", headers: { accept: "application/json" } });
    const messages = json.json().messages;
    expect(messages[0]).toMatchObject({
      to: "outbox@example.com",
      purpose: "login",
      channel: "email",
      code: expect.stringMatching(/^\d{6}$/),
    });
    const html = await dev.app.inject({ method: "GET", url: "/dev/outbox" });
    expect(html.headers["content-type"]).toMatch(/^text\/html/);
    expect(html.body).toContain(messages[0].code);
  });

  it("does not exist in production, nor does the demo page", async () => {
    for (const url of ["/dev/outbox", "/", "/assets/demo.js"]) {
      const response = await prod.app.inject({ method: "GET", url });
      expect(response.statusCode).toBe(404);
    }
    const demo = await prod.app.inject({ method: "POST", url: "/dev/demo/start", payload: { email: "a@example.com" } });
    expect(demo.statusCode).toBe(404);
  });
});

describe("logs", () => {
  it("never contain a code, a context, a body or the API key", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logged = await testServer({ logger: { level: "trace", stream } });
    const started = await logged.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: AUTH,
      payload: { identifier: "log@example.com", purpose: "login" },
    });
    const { context } = started.json();
    const code = logged.codeFor("log@example.com");
    await logged.app.inject({ method: "POST", url: "/v1/verifications/check", headers: AUTH, payload: { context, code: "000000" } });
    await logged.app.inject({ method: "POST", url: "/v1/verifications/check", headers: AUTH, payload: { context, code } });
    await logged.app.inject({
      method: "POST",
      url: "/v1/verifications/check",
      headers: { authorization: "Bearer wrong-secret-key" },
      payload: { context, code },
    });
    await logged.app.close();
    const text = lines.join("");
    expect(lines.length).toBeGreaterThanOrEqual(4); // one a request
    expect(text).not.toMatch(new RegExp(`(?<!\\d)${code}(?!\\d)`));
    expect(text).not.toContain(context.slice(0, 40));
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain("wrong-secret-key");
    expect(text).not.toContain("log@example.com");
  });
});

describe("headers on every kind of answer", () => {
  it("errors, 404s, parse failures and pages all carry the request id and hardening headers", async () => {
    const answers = await Promise.all([
      dev.app.inject({ method: "GET", url: "/no-such-page" }),
      dev.app.inject({
        method: "POST",
        url: "/v1/verifications",
        headers: { ...AUTH, "content-type": "application/json" },
        payload: "{bad",
      }),
      dev.app.inject({
        method: "POST",
        url: "/v1/verifications",
        headers: { ...AUTH, "content-type": "application/json" },
        payload: JSON.stringify({ x: "y".repeat(40_000) }),
      }),
      dev.app.inject({ method: "POST", url: "/v1/verifications/check", headers: AUTH, payload: { context: "abc", code: "123456" } }),
      dev.app.inject({ method: "GET", url: "/dev/outbox" }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([404, 400, 413, 400, 200]);
    for (const answer of answers) {
      expect(answer.headers["x-request-id"]).toBeTruthy();
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
      expect(answer.headers["x-frame-options"]).toBe("DENY");
      expect(answer.headers["referrer-policy"]).toBe("no-referrer");
      expect(answer.headers["content-security-policy"]).toContain("default-src 'none'");
    }
    expect(answers.slice(1, 4).every((a) => a.headers["cache-control"] === "no-store")).toBe(true);
    expect(answers[0]!.headers["content-security-policy"]).not.toContain("script-src");
    expect(answers[4]!.headers["content-security-policy"]).toContain("script-src 'self'");
  });
});
