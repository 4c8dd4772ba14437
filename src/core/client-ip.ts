import { BlockList, isIP } from "node:net";

/**
 * Which proxies may speak for the client in `X-Forwarded-For`:
 * - `false` (default): none; the socket's address is the client, the header is ignored.
 * - `true`: every hop; the leftmost address in the header is the client.
 * - a number `n`: the nearest `n` hops (your own load balancers).
 * - a list of addresses and CIDR ranges (`"10.0.0.0/8"`, `"::1"`): hops from these are trusted.
 */
export type TrustProxy = boolean | number | readonly string[];

/** What `clientIpFrom` reads the client's address from. */
export interface ClientIpInput {
  /** The TCP peer (`request.socket.remoteAddress`). */
  remoteAddress: string | undefined;
  /** The `X-Forwarded-For` header value(s), as received. */
  forwardedFor?: string | readonly string[] | undefined;
  /** Which proxies may speak for the client; default none. */
  trustProxy?: TrustProxy;
}

/**
 * The end user's IP for rate limits. The header is read only through trusted hops, right to left,
 * so an untrusted client that rotates `X-Forwarded-For` changes nothing. An entry that is not an
 * IP address ends the walk at the last trusted hop that reported it.
 */
export function clientIpFrom(input: ClientIpInput): string | undefined {
  let candidate = normalizeIp(input.remoteAddress);
  if (candidate === undefined) return undefined;
  const trusts = trustFunction(input.trustProxy ?? false);
  const hops = forwardedEntries(input.forwardedFor);
  for (let hop = 0; hop < hops.length && trusts(candidate, hop); hop++) {
    const next = normalizeIp(hops[hops.length - 1 - hop]);
    if (next === undefined) break;
    candidate = next;
  }
  return candidate;
}

/**
 * The key an IP limit counts under: an IPv4 address as is; an IPv6 address by its /64, the block
 * one subscriber gets (rotating within it buys nothing). Anything else is kept, trimmed.
 */
export function ipLimitKey(ip: string): string {
  const normalized = normalizeIp(ip);
  if (normalized === undefined) return `raw:${ip.slice(0, 64)}`;
  if (isIP(normalized) === 4) return normalized;
  return `${expandIpv6(normalized).slice(0, 4).join(":")}::/64`;
}

/** Trims, drops brackets and ports, unwraps IPv4-mapped IPv6; undefined when not an IP address. */
export function normalizeIp(value: string | undefined): string | undefined {
  if (typeof value !== "string") return undefined;
  let ip = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (bracketed) ip = bracketed[1]!;
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(ip)) ip = ip.slice(0, ip.lastIndexOf(":"));
  const zone = ip.indexOf("%");
  if (zone !== -1) ip = ip.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  const version = isIP(ip);
  if (version === 0) return undefined;
  return version === 6 ? ip.toLowerCase() : ip;
}

function forwardedEntries(header: string | readonly string[] | undefined): string[] {
  if (header === undefined) return [];
  const values = typeof header === "string" ? [header] : header;
  return values.flatMap((value) => (typeof value === "string" ? value.split(",") : [])).map((entry) => entry.trim());
}

function trustFunction(trust: TrustProxy): (address: string, hop: number) => boolean {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === "number") {
    if (!Number.isInteger(trust) || trust < 0)
      throw new TypeError("otp-actions: trustProxy must be a boolean, a hop count or a list of addresses");
    return (_address, hop) => hop < trust;
  }
  if (!Array.isArray(trust)) throw new TypeError("otp-actions: trustProxy must be a boolean, a hop count or a list of addresses");
  const list = new BlockList();
  for (const entry of trust) addTrusted(list, entry);
  return (address) => list.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

function addTrusted(list: BlockList, entry: unknown): void {
  if (typeof entry !== "string") throw new TypeError("otp-actions: trustProxy entries must be strings");
  const parsed = parseTrustEntry(entry);
  if (!parsed) throw new TypeError(`otp-actions: trustProxy entry '${entry}' is not an address or CIDR range`);
  if (parsed.prefix === undefined) list.addAddress(parsed.ip, parsed.family);
  else list.addSubnet(parsed.ip, parsed.prefix, parsed.family);
}

/** A trusted proxy's address or CIDR range (`"10.0.0.0/8"`, `"::1"`), or undefined when it is neither. */
export function parseTrustEntry(entry: string): { ip: string; family: "ipv4" | "ipv6"; prefix?: number } | undefined {
  const [address, bits, ...rest] = entry.trim().split("/");
  const ip = normalizeIp(address);
  if (ip === undefined || rest.length > 0) return undefined;
  const family = isIP(ip) === 6 ? "ipv6" : "ipv4";
  if (bits === undefined) return { ip, family };
  if (!/^\d+$/.test(bits) || Number(bits) > (family === "ipv6" ? 128 : 32)) return undefined;
  return { ip, family, prefix: Number(bits) };
}

function expandIpv6(ip: string): string[] {
  // An embedded IPv4 tail (::1.2.3.4) counts as two groups.
  const tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(ip);
  let text = ip;
  if (tail) {
    const octets = tail[1]!.split(".").map(Number);
    text = `${ip.slice(0, tail.index)}${((octets[0]! << 8) | octets[1]!).toString(16)}:${((octets[2]! << 8) | octets[3]!).toString(16)}`;
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const left = head === "" ? [] : head.split(":");
  const right = rest === undefined || rest === "" ? [] : rest.split(":");
  const fill = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...fill, ...right].map((group) => group.replace(/^0+(?=.)/, ""));
}
