/**
 * The audit log over HTTP, for support and compliance teams whose tools are not in TypeScript:
 * one person's history, a verification's, an IP's, or a time range, newest first, paged; the same
 * as CSV; and the aggregates an operator's overview reads. POST with a JSON body rather than GET with a query string: the identifier searched for
 * must not land in access logs, and bodies are never logged.
 */
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { AuditFilter, AuditLog, AuditRecord } from "../../audit/audit-log.js";
import type { AuditStats, StatsBucket } from "../../audit/stats.js";
import { auditFilterForIdentifier } from "../../audit/search-filter.js";
import type { IdentifierKind } from "../../core/identifiers.js";
import { isOtpError, OtpError } from "../../core/errors.js";
import type { Otp } from "../../engine/types.js";
import { errorResponses } from "../error-responses.js";
import { ref } from "../schemas.js";

/** What the audit routes can answer besides 200: no code, no context, no delivery is involved. */
const AUDIT_ERRORS = errorResponses("INVALID_REQUEST", "INVALID_IDENTIFIER", "STORE_UNAVAILABLE");

export interface AuditRoutesOptions {
  otp: Otp;
  log: AuditLog;
}

interface QueryBody {
  identifier?: string;
  identifierKind?: IdentifierKind;
  identifierHash?: string;
  verificationId?: string;
  purpose?: string;
  action?: string | string[];
  status?: string;
  clientIp?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

/** The body as the log's filter: the identifier hashed under every key, times as Dates. */
function filterFrom(otp: Otp, body: QueryBody): AuditFilter {
  const { identifier, identifierKind, from, to, action, ...rest } = body;
  const filter = {
    ...rest,
    ...(action !== undefined && { action: action as AuditFilter["action"] }),
    ...(from !== undefined && { from: new Date(from) }),
    ...(to !== undefined && { to: new Date(to) }),
  } as AuditFilter;
  return identifier === undefined ? filter : auditFilterForIdentifier(otp, identifier, filter, identifierKind);
}

interface StatsBody {
  from: string;
  to: string;
  bucket?: StatsBucket;
  purpose?: string;
  channel?: string;
  top?: number;
}

/** The answer with its times as ISO strings. */
function statsJson(stats: AuditStats) {
  return {
    ...stats,
    from: stats.from.toISOString(),
    to: stats.to.toISOString(),
    series: stats.series.map((bucket) => ({ ...bucket, at: bucket.at.toISOString() })),
  };
}

function rowJson(record: AuditRecord) {
  return { ...record, at: record.at.toISOString() };
}

/** A log that cannot answer is the service's store being unavailable, not an internal error. */
function unavailable(error: unknown): OtpError {
  return isOtpError(error) ? error : new OtpError("STORE_UNAVAILABLE", { message: "The audit log is unavailable.", cause: error });
}

/**
 * Rows reach the log in the recorder's batches, at most its flush interval (250 ms by default)
 * after their event. A read does not flush the recorder: a support tool can live with a quarter
 * of a second, and a read should not cost a write.
 */
export async function auditRoutes(app: FastifyInstance, { otp, log }: AuditRoutesOptions): Promise<void> {
  app.post<{ Body: QueryBody }>(
    "/audit/query",
    {
      schema: {
        operationId: "queryAudit",
        summary: "Read the audit log: newest first, filtered, one page at a time",
        body: ref("AuditQuery"),
        response: { 200: ref("AuditPage"), ...AUDIT_ERRORS },
      },
    },
    async (request) => {
      const filter = filterFrom(otp, request.body);
      const page = await log.query(filter).catch((error: unknown) => {
        throw unavailable(error);
      });
      return { rows: page.rows.map(rowJson), ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }) };
    },
  );

  app.post<{ Body: StatsBody }>(
    "/audit/stats",
    {
      schema: {
        operationId: "auditStats",
        summary: "Aggregate the audit log: counts per time bucket, conversion, latencies, top sources of refusals",
        body: ref("AuditStatsQuery"),
        response: { 200: ref("AuditStats"), ...errorResponses("INVALID_REQUEST", "STORE_UNAVAILABLE") },
      },
    },
    async (request) => {
      const { from, to, ...rest } = request.body;
      const stats = await log.stats({ ...rest, from: new Date(from), to: new Date(to) }).catch((error: unknown) => {
        throw unavailable(error);
      });
      return statsJson(stats);
    },
  );

  app.post<{ Body: QueryBody }>(
    "/audit/export",
    {
      schema: {
        operationId: "exportAudit",
        summary: "Export the audit log as CSV (header first, newest first)",
        body: ref("AuditExport"),
        response: {
          200: { description: "CSV: a header, then every matching row", content: { "text/csv": { schema: { type: "string" } } } },
          ...AUDIT_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const filter = filterFrom(otp, request.body);
      // The header and the first page are read before answering: a bad filter is a 400 and a
      // log that is down a 503, not a download cut short.
      const chunks = log.exportCsv(filter)[Symbol.asyncIterator]();
      const head: string[] = [];
      let done = false;
      try {
        while (head.length < 2 && !done) {
          const next = await chunks.next();
          if (next.done) done = true;
          else head.push(next.value);
        }
      } catch (error) {
        throw unavailable(error);
      }
      async function* all(): AsyncGenerator<string> {
        yield* head;
        if (done) return;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
      }
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="otp-audit.csv"')
        .send(Readable.from(all()));
    },
  );
}
