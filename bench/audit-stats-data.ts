/**
 * A realistic audit log to measure on, the same for every run (a seeded generator): 30 days of
 * verifications, most delivered and approved, some with a wrong code first, some never checked,
 * some run out of attempts (a few of those locked out), a few deliveries failed, and sends
 * refused by a limit, half of them from a handful of abusive IPs. Identifiers are skewed: a few
 * are far busier than the rest, as real users and attackers are.
 */
import type { AuditRecord } from "../dist/audit/audit-log.js";

/** The rows, oldest first, and what the searches look for. */
export interface GeneratedLog {
  rows: AuditRecord[];
  endMs: number;
  busiestIdentifierHash: string;
  sampleVerification: { id: string; identifierHash: string };
  abusiveIp: string;
  ordinaryIp: string;
}

const DAY_MS = 86_400_000;
const PURPOSES: Array<[string, number]> = [
  ["login", 0.6],
  ["password_reset", 0.2],
  ["payment", 0.15],
  ["signup", 0.05],
];
const PREFIXES = ["+1415", "+1212", "+1646", "+1416", "+4420", "+4477", "+3361", "+4915", "+9198", "+8613", "+3531", "+2348", "+5511"];
const LIMITS = ["sends_per_identifier", "sends_per_ip", "sends_per_prefix"];
const IDENTIFIERS = 100_000;
const ORDINARY_IPS = 20_000;
const ABUSIVE_IPS = 20;

/** mulberry32: small, fast, and the same sequence for the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** About `count` rows (exactly, cut at the end) over the 30 days before `endMs`. */
export function auditRows(count: number, endMs: number): GeneratedLog {
  const next = random(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const weighted = (list: Array<[string, number]>): string => {
    let r = next();
    for (const [value, weight] of list) if ((r -= weight) < 0) return value;
    return list[0]![0];
  };
  const rows: AuditRecord[] = [];
  const verifications = Math.ceil(count / 3.3);
  const startMs = endMs - 30 * DAY_MS;
  const stepMs = (30 * DAY_MS) / verifications;
  let sequence = 0;
  let sample: GeneratedLog["sampleVerification"] | undefined;
  for (let v = 0; rows.length < count; v++) {
    const t = startMs + v * stepMs;
    if (t >= endMs - 5 * 60_000) break;
    const purpose = weighted(PURPOSES);
    const channel = weighted([
      ["email", 0.5],
      ["sms", 0.45],
      ["voice", 0.05],
    ]);
    // Skewed towards low numbers: identifier 0 is the busiest.
    const who = Math.floor(next() ** 3 * IDENTIFIERS);
    const identifierHash = `k1:${who.toString(36).padStart(8, "0")}`;
    const identifierMasked =
      channel === "email"
        ? `${String.fromCharCode(97 + (who % 26))}***@example.com`
        : `${PREFIXES[who % PREFIXES.length]}*****${who % 100}`;
    const abusive = next() < 0.02;
    const clientIp = abusive
      ? `192.0.2.${Math.floor(next() * ABUSIVE_IPS)}`
      : `100.64.${Math.floor(next() * ORDINARY_IPS) >> 8}.${Math.floor(next() * 256)}`;
    const id = `v${v.toString(36).padStart(10, "0")}`;
    const row = (action: AuditRecord["action"], status: string, offsetMs: number, extra: Partial<AuditRecord> = {}): void => {
      rows.push({
        eventId: `e${(sequence++).toString(36).padStart(10, "0")}`,
        verificationId: id,
        action,
        status,
        purpose,
        channel,
        identifierHash,
        identifierMasked,
        attempts: null,
        metadata: null,
        clientIp,
        userAgent: "Mozilla/5.0 (bench)",
        traceId: null,
        durationMs: null,
        at: new Date(Math.round(t + offsetMs)),
        ...extra,
      });
    };
    const check = () => ({ durationMs: Math.round((0.5 + next() ** 4 * 40) * 1000) / 1000 });
    if (abusive || next() < 0.02) {
      row("rate_limited", "RATE_LIMITED", 0, { verificationId: null, metadata: { limit: pick(LIMITS), retryAfterSeconds: 60 } });
      continue;
    }
    row("generated", "pending", 0, { attempts: 0 });
    if (next() < 0.02) {
      row("delivery_failed", "DELIVERY_FAILED", 1500);
      continue;
    }
    row("delivered", "delivered", 1500);
    const outcome = next();
    const approveMs = 15_000 + next() ** 2 * 240_000;
    if (outcome < 0.75) row("verified", "approved", approveMs, { attempts: 1, ...check() });
    else if (outcome < 0.85) {
      row("failed", "INVALID_OTP", approveMs - 8_000, { attempts: 1, ...check() });
      row("verified", "approved", approveMs, { attempts: 2, ...check() });
    } else if (outcome < 0.93) {
      // Never checked.
    } else {
      for (let attempt = 1; attempt <= 3; attempt++)
        row("failed", "INVALID_OTP", approveMs + attempt * 2_000, { attempts: attempt, ...check() });
      row("exhausted", "MAX_RETRIES_EXCEEDED", approveMs + 6_001, { attempts: 3 });
      if (next() < 0.2) row("rate_limited", "LOCKED_OUT", approveMs + 6_002, { metadata: { limit: "failures_per_identifier" } });
    }
    if (sample === undefined && v > verifications / 2 && channel === "sms") sample = { id, identifierHash };
  }
  rows.length = Math.min(rows.length, count);
  // Rows of one verification can pass the next one's: appended in time order, as a recorder does.
  rows.sort((a, b) => a.at.getTime() - b.at.getTime());
  return {
    rows,
    endMs,
    busiestIdentifierHash: `k1:${"0".padStart(8, "0")}`,
    sampleVerification: sample ?? { id: "v0", identifierHash: "k1:00000000" },
    abusiveIp: "192.0.2.0",
    ordinaryIp: rows.find((r) => r.clientIp?.startsWith("100.64."))?.clientIp ?? "100.64.0.1",
  };
}
