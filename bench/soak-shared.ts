/** What the soak's two processes share (see soak.ts). */
export const SOAK_API_KEY = "soak-api-key-0123456789abcdef";

/** The server's answer to a `sample` message. */
export interface SoakSample {
  type: "sample";
  rssBytes: number;
  heapUsedBytes: number;
  loopDelayP99Ms: number;
  ledgerBytes: number;
  auditBytes: number;
  auditPending: number;
  auditDropped: number;
}
