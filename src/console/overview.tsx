/**
 * Overview: for a range (1 h to 30 days, or custom), a purpose and a channel, the counts over
 * time (sends, approvals, failed checks, lockouts, rate-limit refusals, delivery failures), the
 * conversion and latencies, and where refusals come from.
 */
import { useEffect, useState } from "preact/hooks";
import { json, messageOf } from "./api.js";
import { Chart } from "./chart.js";
import type { Stats } from "./types.js";
import { Table } from "./table.js";

const RANGES = [
  { value: "1h", label: "Last hour", ms: 3_600_000 },
  { value: "24h", label: "Last 24 hours", ms: 86_400_000 },
  { value: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { value: "30d", label: "Last 30 days", ms: 30 * 86_400_000 },
  { value: "custom", label: "Custom", ms: 0 },
] as const;

interface Choice {
  range: string;
  from: string;
  to: string;
  purpose: string;
  channel: string;
}

const HOUR_MS = 3_600_000;

/** The stats query for a choice; a custom range reads the two `datetime-local` fields. */
function queryOf(choice: Choice, now: number): Record<string, string> {
  const preset = RANGES.find((range) => range.value === choice.range && range.ms > 0);
  let from = preset ? now - preset.ms : new Date(choice.from).getTime();
  const to = preset ? now : new Date(choice.to).getTime();
  // Day-long and longer ranges start on the hour: the logs then read whole hours from their hourly
  // counts instead of every row (the range is at most an hour longer than asked; the page shows it).
  if (to - from >= 24 * HOUR_MS) from = Math.floor(from / HOUR_MS) * HOUR_MS;
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    ...(choice.purpose.trim() && { purpose: choice.purpose.trim() }),
    ...(choice.channel.trim() && { channel: choice.channel.trim() }),
  };
}

const percent = (value: number | null) => (value === null ? "—" : `${(value * 100).toFixed(1)} %`);
const number = (value: number | null, unit: string) => (value === null ? "—" : `${Number(value.toFixed(1))} ${unit}`);

function Card({ id, label, value }: { id: string; label: string; value: string }) {
  return (
    <div class="card" id={id}>
      <div>{label}</div>
      <div class="value">{value}</div>
    </div>
  );
}

function Top({
  id,
  title,
  rows,
  column,
}: {
  id: string;
  title: string;
  rows: Array<{ value: string | null; count: number }>;
  column: string;
}) {
  return (
    <div>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p>None.</p>
      ) : (
        <Table id={id} columns={[column, "Count"]}>
          {rows.map((row) => (
            <tr key={row.value ?? "none"}>
              <td>{row.value ?? "(none)"}</td>
              <td>{row.count}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}

export function Overview() {
  const [choice, setChoice] = useState<Choice>({ range: "24h", from: "", to: "", purpose: "", channel: "" });
  const [stats, setStats] = useState<Stats | undefined>();
  const [error, setError] = useState<string | undefined>();
  const load = async (next: Choice) => {
    if (next.range === "custom" && (next.from === "" || next.to === "")) return setError("Pick both ends of a custom range.");
    try {
      setStats(await json<Stats>("/v1/audit/stats", { body: queryOf(next, Date.now()) }));
      setError(undefined);
    } catch (caught) {
      setError(messageOf(caught));
    }
  };
  useEffect(() => {
    void load(choice);
  }, []);
  const set = (change: Partial<Choice>) => setChoice({ ...choice, ...change });
  const times = stats?.series.map((bucket) => bucket.at) ?? [];
  const values = (name: keyof Stats["totals"]) => stats?.series.map((bucket) => bucket[name]) ?? [];
  return (
    <section aria-labelledby="overview-title">
      <h2 id="overview-title">Overview</h2>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          void load(choice);
        }}
      >
        <div class="field">
          <label for="overview-range">Range</label>
          <select id="overview-range" value={choice.range} onChange={(event) => set({ range: event.currentTarget.value })}>
            {RANGES.map((range) => (
              <option key={range.value} value={range.value}>
                {range.label}
              </option>
            ))}
          </select>
        </div>
        {choice.range === "custom" && (
          <>
            <div class="field">
              <label for="overview-from">From</label>
              <input
                id="overview-from"
                type="datetime-local"
                value={choice.from}
                onInput={(event) => set({ from: event.currentTarget.value })}
              />
            </div>
            <div class="field">
              <label for="overview-to">To</label>
              <input id="overview-to" type="datetime-local" value={choice.to} onInput={(event) => set({ to: event.currentTarget.value })} />
            </div>
          </>
        )}
        <div class="field">
          <label for="overview-purpose">Purpose</label>
          <input
            id="overview-purpose"
            type="text"
            value={choice.purpose}
            onInput={(event) => set({ purpose: event.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="overview-channel">Channel</label>
          <input
            id="overview-channel"
            type="text"
            value={choice.channel}
            onInput={(event) => set({ channel: event.currentTarget.value })}
          />
        </div>
        <div class="buttons">
          <button type="submit">Show</button>
        </div>
      </form>
      {error && (
        <p class="status err" role="alert">
          {error}
        </p>
      )}
      {stats && (
        <>
          <p id="overview-shown">
            From {new Date(stats.from).toLocaleString()} to {new Date(stats.to).toLocaleString()}, by {stats.bucket}
          </p>
          <div class="cards">
            <Card id="card-sent" label="Codes sent" value={String(stats.totals.sent)} />
            <Card id="card-approved" label="Approved" value={String(stats.totals.approved)} />
            <Card id="card-conversion" label="Conversion" value={percent(stats.conversionRate)} />
            <Card
              id="card-approve-time"
              label="Time to approve p50 / p99"
              value={`${number(stats.timeToApproveSeconds.p50, "s")} / ${number(stats.timeToApproveSeconds.p99, "s")}`}
            />
            <Card
              id="card-check-latency"
              label="Check latency p50 / p99"
              value={`${number(stats.checkLatencyMs.p50, "ms")} / ${number(stats.checkLatencyMs.p99, "ms")}`}
            />
          </div>
          <div class="charts">
            <Chart
              id="chart-sends"
              title="Sends and approvals"
              times={times}
              series={[
                { label: "Sent", values: values("sent"), color: "#2447a8" },
                { label: "Approved", values: values("approved"), color: "#1d7a36" },
              ]}
            />
            <Chart
              id="chart-failures"
              title="Failed checks and lockouts"
              times={times}
              series={[
                { label: "Failed checks", values: values("failedChecks"), color: "#b25e00" },
                { label: "Lockouts", values: values("lockouts"), color: "#a52a1c" },
              ]}
            />
            <Chart
              id="chart-rate-limited"
              title="Rate-limit refusals"
              times={times}
              series={[{ label: "Rate limited", values: values("rateLimited"), color: "#6b3fa0" }]}
            />
            <Chart
              id="chart-delivery"
              title="Delivery failures"
              times={times}
              series={[{ label: "Delivery failed", values: values("deliveryFailed"), color: "#a52a1c" }]}
            />
          </div>
          <div class="tables">
            <Top
              id="by-limit"
              title="Rate-limit refusals by limit"
              column="Limit"
              rows={stats.rateLimitedByLimit.map((row) => ({ value: row.limit, count: row.count }))}
            />
            <div>
              <h3>Deliveries by channel</h3>
              <Table id="by-channel" columns={["Channel", "Delivered", "Failed"]}>
                {stats.deliveryByChannel.map((row) => (
                  <tr key={row.channel}>
                    <td>{row.channel}</td>
                    <td>{row.delivered}</td>
                    <td>{row.failed}</td>
                  </tr>
                ))}
              </Table>
            </div>
            <Top id="top-ips" title="Top IPs by refusals" column="IP" rows={stats.topIps} />
            <Top id="top-prefixes" title="Top number prefixes by refusals" column="Prefix" rows={stats.topPrefixes} />
            <Top id="top-countries" title="Top countries by refusals" column="Country" rows={stats.topCountries} />
          </div>
        </>
      )}
    </section>
  );
}
