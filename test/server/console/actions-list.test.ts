import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS } from "../../../src/audit/audit-log.js";
import { ACTIONS } from "../../../src/console/types.js";

describe("the console's search form", () => {
  it("offers every action the audit log records, and no other", () => {
    expect([...ACTIONS].sort()).toEqual([...AUDIT_ACTIONS].sort());
  });
});
