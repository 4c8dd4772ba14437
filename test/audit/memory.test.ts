import { describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { runAuditLogConformance } from "../../src/testing/index.js";
import { auditRecord } from "../helpers/audit-records.js";

runAuditLogConformance("memory", async () => ({ log: memoryAuditLog({ maxRows: 100_000 }) }));

describe("memory audit log bound", () => {
  it("forgets the oldest rows past maxRows", async () => {
    const log = memoryAuditLog({ maxRows: 3 });
    const rows = Array.from({ length: 5 }, (_, i) => auditRecord({ eventId: `e${i}`, at: new Date(1_000 + i) }));
    await log.append(rows);
    expect(log.size).toBe(3);
    expect((await log.query()).rows.map((row) => row.eventId)).toEqual(["e4", "e3", "e2"]);
  });
});
