/**
 * One verification as a timeline: its audit rows oldest first, each with the IP, user agent and
 * trace id of the request behind it. An admin can cancel it while it is pending.
 */
import { useEffect, useState } from "preact/hooks";
import { call, json, messageOf } from "./api.js";
import { ConfirmButton } from "./confirm-button.js";
import { liftLockout } from "./lockouts.js";
import type { AuditPage, AuditRow } from "./types.js";

/** The rows of one verification are few (a send, a delivery, a few checks): one page holds them. */
const TIMELINE_LIMIT = 500;

/**
 * Events of one millisecond (a send and its delivery often are) have no order in the log: they
 * follow a verification's life, from its code to its end.
 */
const ENDS = ["verified", "exhausted", "revoked", "delivery_failed"];
const LIFE_ORDER = ["generated", "delivered", "delivery_failed", "failed", "rate_limited", "exhausted", "verified", "revoked"];

function oldestFirst(a: AuditRow, b: AuditRow): number {
  return Date.parse(a.at) - Date.parse(b.at) || LIFE_ORDER.indexOf(a.action) - LIFE_ORDER.indexOf(b.action);
}

export function Timeline({ id, admin }: { id: string; admin: boolean }) {
  const [rows, setRows] = useState<AuditRow[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const load = async () => {
    try {
      const page = await json<AuditPage>("/v1/audit/query", { body: { verificationId: id, limit: TIMELINE_LIMIT } });
      // The log answers newest first; a timeline reads oldest first.
      setRows([...page.rows].sort(oldestFirst));
    } catch (caught) {
      setError(messageOf(caught));
    }
  };
  useEffect(() => {
    void load();
  }, [id]);
  // Pending until a row ends it: approved, attempts used up, canceled or replaced, or undelivered.
  // Only a one-time code's timeline can be pending: an authenticator app's factor has no code to cancel.
  const life = rows ?? [];
  const pending = life.some((row) => row.action === "generated") && !life.some((row) => ENDS.includes(row.action));
  const locked = rows?.find((row) => row.status === "LOCKED_OUT" && row.identifierHash !== null && row.purpose !== null);
  const lift = async () => {
    if (!locked) return;
    try {
      setNotice(await liftLockout({ identifierHash: locked.identifierHash!, purpose: locked.purpose! }));
    } catch (caught) {
      setError(messageOf(caught));
    }
  };
  const cancel = async () => {
    try {
      await call(`/v1/admin/verifications/${encodeURIComponent(id)}/cancel`, { method: "POST", body: {} });
      setNotice("Canceled.");
      await load();
    } catch (caught) {
      setError(messageOf(caught));
    }
  };
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">
        Verification <code>{id}</code>
      </h2>
      <p>
        <a href="#/search">Back to search</a>
      </p>
      {error && (
        <p class="status err" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p class="status ok" role="status">
          {notice}
        </p>
      )}
      {admin && (pending || locked) && (
        <div class="buttons">
          {pending && <ConfirmButton label="Cancel verification" question="Cancel this pending verification?" onConfirm={cancel} />}
          {locked && (
            <ConfirmButton
              label="Lift lockout"
              question={`Lift the lockouts of ${locked.identifierMasked ?? locked.identifierHash} for ${locked.purpose}?`}
              onConfirm={lift}
            />
          )}
        </div>
      )}
      {rows && rows.length === 0 && <p>No events for this verification.</p>}
      {rows && rows.length > 0 && (
        <ol id="timeline" class="timeline">
          {rows.map((row) => (
            <li key={row.eventId} data-action={row.action}>
              <p class="when">
                <time dateTime={row.at}>{new Date(row.at).toLocaleString()}</time> <strong>{row.action}</strong> {row.status}
              </p>
              <dl>
                <dt>Purpose</dt>
                <dd>{row.purpose ?? "—"}</dd>
                <dt>Channel</dt>
                <dd>{row.channel ?? "—"}</dd>
                <dt>Identifier</dt>
                <dd>{row.identifierMasked ?? "—"}</dd>
                <dt>Attempts</dt>
                <dd>{row.attempts ?? "—"}</dd>
                <dt>IP</dt>
                <dd class="ip">{row.clientIp ?? "—"}</dd>
                <dt>User agent</dt>
                <dd class="ua">{row.userAgent ?? "—"}</dd>
                <dt>Trace id</dt>
                <dd class="trace">{row.traceId ?? "—"}</dd>
              </dl>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
