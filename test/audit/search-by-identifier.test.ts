/**
 * A search of the audit log by identifier normalises it as the engine does, `defaultCountry`
 * included: a support agent typing a national-format number finds that person's rows.
 */
import { describe, expect, it } from "vitest";
import { attachAuditLog } from "../../src/audit/recorder.js";
import { auditFilterForIdentifier } from "../../src/audit/search-filter.js";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { createOtp, generateKey } from "../../src/index.js";

describe("audit search by identifier", () => {
  it("finds the rows of a number issued as E.164 when searched in national format, with the engine's defaultCountry", async () => {
    const otp = createOtp({ keys: generateKey("s1"), defaultCountry: "US", guard: false });
    const log = memoryAuditLog();
    const recorder = attachAuditLog(otp, log);
    const issued = await otp.generate({ identifier: "(415) 555-2671", purpose: "login" });
    await otp.verify({ code: issued.code, context: issued.context, purpose: "login" });
    await recorder.flush();

    for (const typed of ["415 555 2671", "(415) 555-2671", "+1 415 555 2671"]) {
      const page = await log.query(auditFilterForIdentifier(otp, typed, {}, "phone"));
      expect(
        page.rows.map((row) => row.status),
        typed,
      ).toEqual(expect.arrayContaining(["pending", "approved"]));
    }
    await recorder.close();
  });
});
