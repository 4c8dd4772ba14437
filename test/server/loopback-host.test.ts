/**
 * Development answers only a loopback Host, so a page that rebinds its DNS name to 127.0.0.1
 * cannot start a verification or read codes from /dev/outbox; OTP_DEV_PUBLIC=true adds HOST.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { buildServer } from "../../src/server/app.js";
import { hostName } from "../../src/server/loopback-host.js";
import { Outbox } from "../../src/server/outbox.js";
import { AUTH, testServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await testServer();
});
afterAll(() => server.app.close());

const ROUTES = [
  { method: "GET", url: "/" },
  { method: "GET", url: "/dev/outbox" },
  { method: "POST", url: "/dev/demo/start", payload: { email: "rebind@example.com" } },
  { method: "POST", url: "/v1/verifications", payload: { identifier: "rebind@example.com", purpose: "login" } },
  { method: "GET", url: "/health/otp" },
  { method: "GET", url: "/docs" },
  { method: "GET", url: "/no-such-page" },
] as const;

describe("development answers only a loopback Host", () => {
  for (const host of ["localhost", "localhost:3000", "LOCALHOST:3000", "127.0.0.1", "127.0.0.1:8080", "[::1]", "[::1]:3000"]) {
    it(`serves Host: ${host}`, async () => {
      const response = await server.app.inject({ method: "GET", url: "/dev/outbox", headers: { host, accept: "application/json" } });
      expect(response.statusCode).toBe(200);
    });
  }

  for (const host of [
    "attacker.example",
    "attacker.example:3000",
    "localhost.attacker.example",
    "127.0.0.1.nip.io",
    "[::2]:3000",
    "10.0.0.5",
    "localhost:3000:1",
  ]) {
    it(`refuses Host: '${host}' on every route, with 403 HOST_NOT_ALLOWED in the one body shape`, async () => {
      for (const route of ROUTES) {
        const response = await server.app.inject({
          method: route.method,
          url: route.url,
          headers: { ...AUTH, host },
          ...("payload" in route && { payload: route.payload }),
        });
        expect(response.statusCode, route.url).toBe(403);
        expect(response.json(), route.url).toEqual({ error: expect.any(String), error_code: "HOST_NOT_ALLOWED" });
        expect(response.headers["x-content-type-options"]).toBe("nosniff");
      }
    });
  }

  it("started nothing and showed no code for a refused host", async () => {
    expect(server.outbox.list().filter((message) => message.to === "rebind@example.com")).toHaveLength(0);
  });

  it("does not apply in production", async () => {
    const production = await testServer({ development: false });
    try {
      const response = await production.app.inject({ method: "GET", url: "/health/otp", headers: { host: "otp.example.com" } });
      expect(response.statusCode).toBe(200);
    } finally {
      await production.app.close();
    }
  });

  it("also serves the configured HOST given with OTP_DEV_PUBLIC", async () => {
    const app = await buildServer({
      otp: createOtp({ keys: generateKey("l1") }),
      apiKeys: ["loopback-test-key-0123456789"],
      development: { outbox: new Outbox(), allowedHosts: ["192.168.1.20", "fe80::1"] },
    });
    try {
      for (const host of ["192.168.1.20:3000", "[fe80::1]:3000", "localhost"]) {
        const response = await app.inject({ method: "GET", url: "/dev/outbox", headers: { host, accept: "application/json" } });
        expect(response.statusCode, host).toBe(200);
      }
      const other = await app.inject({ method: "GET", url: "/dev/outbox", headers: { host: "192.168.1.21" } });
      expect(other.statusCode).toBe(403);
    } finally {
      await app.close();
    }
  });
});

describe("hostName", () => {
  it("takes the name out of a Host header, or nothing from a malformed one", () => {
    expect(hostName("Example.COM:80")).toBe("example.com");
    expect(hostName("[::1]:3000")).toBe("[::1]");
    expect(hostName("::1")).toBeUndefined();
    expect(hostName(undefined)).toBeUndefined();
  });
});
