import { describe, expect, it } from "vitest";
import { clientIpFrom, ipLimitKey, normalizeIp } from "../../src/core/client-ip.js";

describe("clientIpFrom", () => {
  it("ignores X-Forwarded-For unless a proxy is trusted", () => {
    expect(clientIpFrom({ remoteAddress: "203.0.113.9", forwardedFor: "1.2.3.4" })).toBe("203.0.113.9");
    expect(clientIpFrom({ remoteAddress: "203.0.113.9", forwardedFor: "1.2.3.4", trustProxy: false })).toBe("203.0.113.9");
    expect(clientIpFrom({ remoteAddress: "203.0.113.9", forwardedFor: "1.2.3.4", trustProxy: 0 })).toBe("203.0.113.9");
  });

  it("trusts the nearest n hops and no further: entries a client prepends are never chosen", () => {
    const forwardedFor = "6.6.6.6, 198.51.100.20, 10.0.0.5";
    expect(clientIpFrom({ remoteAddress: "10.0.0.1", forwardedFor, trustProxy: 1 })).toBe("10.0.0.5");
    expect(clientIpFrom({ remoteAddress: "10.0.0.1", forwardedFor, trustProxy: 2 })).toBe("198.51.100.20");
    expect(clientIpFrom({ remoteAddress: "10.0.0.1", forwardedFor: "198.51.100.20", trustProxy: 5 })).toBe("198.51.100.20");
  });

  it("trusts listed addresses and CIDR ranges, walking right to left", () => {
    const trustProxy = ["10.0.0.0/8", "::1"];
    expect(clientIpFrom({ remoteAddress: "10.0.0.1", forwardedFor: "6.6.6.6, 198.51.100.20, 10.1.2.3", trustProxy })).toBe("198.51.100.20");
    expect(clientIpFrom({ remoteAddress: "::1", forwardedFor: "198.51.100.20", trustProxy })).toBe("198.51.100.20");
    // The peer is not a trusted proxy: its header is ignored.
    expect(clientIpFrom({ remoteAddress: "203.0.113.9", forwardedFor: "198.51.100.20", trustProxy })).toBe("203.0.113.9");
  });

  it("true trusts every hop: the leftmost address", () => {
    expect(clientIpFrom({ remoteAddress: "10.0.0.1", forwardedFor: ["198.51.100.20, 10.0.0.7", "10.0.0.8"], trustProxy: true })).toBe(
      "198.51.100.20",
    );
  });

  it("stops at an entry that is not an address, at the hop that reported it", () => {
    expect(clientIpFrom({ remoteAddress: "10.0.0.1", forwardedFor: "1.2.3.4, garbage", trustProxy: true })).toBe("10.0.0.1");
    expect(clientIpFrom({ remoteAddress: "10.0.0.1", forwardedFor: "", trustProxy: true })).toBe("10.0.0.1");
    expect(clientIpFrom({ remoteAddress: undefined, forwardedFor: "1.2.3.4", trustProxy: true })).toBeUndefined();
  });

  it("normalises ports, brackets, zones and IPv4-mapped IPv6", () => {
    expect(normalizeIp("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeIp("192.0.2.1:8080")).toBe("192.0.2.1");
    expect(normalizeIp("[2001:DB8::1]:443")).toBe("2001:db8::1");
    expect(normalizeIp("fe80::1%eth0")).toBe("fe80::1");
    expect(normalizeIp("not-an-ip")).toBeUndefined();
    expect(clientIpFrom({ remoteAddress: "::ffff:10.0.0.1", forwardedFor: "[2001:db8::5]:1234", trustProxy: ["10.0.0.1"] })).toBe(
      "2001:db8::5",
    );
  });

  it("rejects a bad trustProxy setting", () => {
    expect(() => clientIpFrom({ remoteAddress: "10.0.0.1", trustProxy: -1 })).toThrow(TypeError);
    expect(() => clientIpFrom({ remoteAddress: "10.0.0.1", trustProxy: ["nope"] })).toThrow(TypeError);
    expect(() => clientIpFrom({ remoteAddress: "10.0.0.1", trustProxy: ["10.0.0.0/99"] })).toThrow(TypeError);
  });
});

describe("ipLimitKey", () => {
  it("keys IPv4 by address and IPv6 by its /64", () => {
    expect(ipLimitKey("192.0.2.1")).toBe("192.0.2.1");
    expect(ipLimitKey("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(ipLimitKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(ipLimitKey("::1")).toBe("0:0:0:0::/64");
    expect(ipLimitKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(ipLimitKey("junk")).toBe("raw:junk");
  });
});
