import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggedPath } from "../../src/server/request-log.js";
import { AUTH, testServer, type TestServer } from "../helpers/server.js";

const lines: Array<Record<string, unknown>> = [];
const stream = new Writable({
  write(chunk, _encoding, callback) {
    for (const line of String(chunk).split("\n")) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
    callback();
  },
});
let server: TestServer;

beforeAll(async () => {
  server = await testServer({ logger: { level: "info", stream } });
});
afterAll(async () => {
  await server.app.close();
});

describe("the request log", () => {
  it("writes one line per request, when it is answered: method, path, status, time and request id", async () => {
    lines.length = 0;
    const answer = await server.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: { ...AUTH, "x-request-id": "req-one-line" },
      payload: { identifier: "line@example.com", purpose: "login" },
    });
    expect(answer.statusCode).toBe(201);
    const mine = lines.filter((line) => line.reqId === "req-one-line");
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 30,
      msg: "request completed",
      req: { method: "POST", path: "/v1/verifications" },
      res: { statusCode: 201 },
    });
    expect(mine[0]!.responseTime).toEqual(expect.any(Number));
  });

  it("leaves out the query string, where a client may have put a code", async () => {
    lines.length = 0;
    await server.app.inject({
      method: "POST",
      url: "/v1/verifications/check?code=918273&context=abc",
      headers: AUTH,
      payload: { context: "abc", code: "918273" },
    });
    await server.app.inject({ method: "GET", url: "/no-such-page?code=918273" });
    const text = JSON.stringify(lines);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain("918273");
    expect(lines.map((line) => (line.req as { path: string }).path)).toEqual(
      expect.arrayContaining(["/v1/verifications/check", "/no-such-page"]),
    );
  });

  it("never writes a header or a body, even when code logs the raw request or a body", async () => {
    lines.length = 0;
    server.app.log.info(
      {
        req: { method: "POST", url: "/x", headers: { authorization: "Bearer very-secret-api-key" }, body: { code: "564738" } },
        body: { code: "564738" },
      },
      "debugging",
    );
    const text = JSON.stringify(lines);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ req: { method: "POST", path: "/x" }, body: "[redacted]" });
    expect(text).not.toContain("very-secret-api-key");
    expect(text).not.toContain("564738");
  });

  it("cuts a long path", () => {
    expect(loggedPath(`/${"a".repeat(500)}?q=1`)).toHaveLength(201);
    expect(loggedPath("/v1/verifications?x=1")).toBe("/v1/verifications");
  });
});
