export { fakeClock } from "./fake-clock.js";
export type { FakeClock } from "./fake-clock.js";
export { capturingChannel } from "./capturing-channel.js";
export type { CapturingChannel } from "./capturing-channel.js";
export { runStoreConformance } from "./conformance.js";
export type { ConformanceOptions, ConformanceSubject, OutageSubject } from "./conformance.js";
export { runAuditLogConformance } from "./audit-conformance.js";
export type { AuditConformanceSubject } from "./audit-conformance.js";
