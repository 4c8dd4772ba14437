/** Health: /health/otp as a table — the keys, the round trip, the store, the channels, the audit backlog. */
import { useEffect, useState } from "preact/hooks";
import { messageOf } from "./api.js";
import { Table } from "./table.js";

interface Check {
  ok: boolean;
  error?: string;
  [detail: string]: unknown;
}
interface HealthReport {
  status: string;
  checkedAt: string;
  checks: Record<string, Check | Record<string, Check>>;
}

function isCheck(value: unknown): value is Check {
  return typeof value === "object" && value !== null && typeof (value as Check).ok === "boolean";
}

/** Every check as one row, nested ones (a channel each) under their group's name. */
function rows(checks: HealthReport["checks"]): Array<[string, Check]> {
  return Object.entries(checks).flatMap(
    ([name, value]): Array<[string, Check]> =>
      isCheck(value) ? [[name, value]] : Object.entries(value).map(([inner, check]): [string, Check] => [`${name}: ${inner}`, check]),
  );
}

function details(check: Check): string {
  return Object.entries(check)
    .filter(([key]) => key !== "ok" && key !== "error" && key !== "lastDelivery")
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`)
    .join(", ");
}

/** checks.channel.lastDelivery: each channel's last delivery in this process. */
type LastDelivery = Record<string, { result: string; at: string; error?: string }>;

function lastDeliveryOf(report: HealthReport): LastDelivery | undefined {
  const channel = report.checks.channel as Check | undefined;
  return channel?.lastDelivery as LastDelivery | undefined;
}

export function Health() {
  const [report, setReport] = useState<HealthReport | undefined>();
  const [error, setError] = useState<string | undefined>();
  const load = async () => {
    try {
      // 503 still carries the report: read it whatever the status.
      const response = await fetch("/health/otp", { credentials: "same-origin" });
      setReport((await response.json()) as HealthReport);
      setError(undefined);
    } catch (caught) {
      setError(messageOf(caught));
    }
  };
  useEffect(() => {
    void load();
  }, []);
  return (
    <section aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      <button type="button" onClick={load}>
        Refresh
      </button>
      {error && (
        <p class="status err" role="alert">
          {error}
        </p>
      )}
      {report && (
        <>
          <p>
            Status{" "}
            <strong id="health-status" class={report.status === "ok" ? "good" : "bad"}>
              {report.status}
            </strong>
            , checked {new Date(report.checkedAt).toLocaleString()}
          </p>
          <div class="scroll">
            <Table id="health-checks" columns={["Check", "Result", "Details"]}>
              {rows(report.checks).map(([name, check]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td class={check.ok ? "good" : "bad"}>{check.ok ? "ok" : (check.error ?? "failing")}</td>
                  <td>{details(check)}</td>
                </tr>
              ))}
            </Table>
          </div>
          <LastDeliveries deliveries={lastDeliveryOf(report)} />
        </>
      )}
    </section>
  );
}

function LastDeliveries({ deliveries }: { deliveries: LastDelivery | undefined }) {
  if (!deliveries || Object.keys(deliveries).length === 0) return <p>No delivery yet in this process.</p>;
  return (
    <>
      <h3>Each channel's last delivery</h3>
      <div class="scroll">
        <Table id="last-delivery" columns={["Channel", "Result", "When", "Error"]}>
          {Object.entries(deliveries).map(([channel, last]) => (
            <tr key={channel}>
              <th scope="row">{channel}</th>
              <td class={last.result === "ok" ? "good" : "bad"}>{last.result}</td>
              <td>{new Date(last.at).toLocaleString()}</td>
              <td>{last.error ?? ""}</td>
            </tr>
          ))}
        </Table>
      </div>
    </>
  );
}
