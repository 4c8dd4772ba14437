/**
 * Alerts (admin): what fires now, and the rules, edited as JSON and saved whole
 * (GET/PUT /v1/admin/alerts, GET /v1/admin/alerts/firing). The server checks the rules and names
 * the first problem, then saves them for every instance; the view says where the rules in force
 * come from, and warns when the service can keep them in memory only.
 */
import { useEffect, useState } from "preact/hooks";
import { json, messageOf } from "./api.js";
import { Notice, type NoticeText } from "./notice.js";
import { Table } from "./table.js";

interface InForce {
  rules: unknown[];
  durable: boolean;
  source: "configuration" | "saved" | "memory";
  updatedAt?: string;
}

/** Where the rules in force come from, in a sentence. */
function provenance(view: InForce): string {
  if (view.source === "saved")
    return `In force: the rules saved ${view.updatedAt ? new Date(view.updatedAt).toLocaleString() : ""}, on every instance.`;
  if (view.source === "memory") return "In force: rules saved in this instance's memory only.";
  return "In force: the configuration's rules (none saved yet).";
}

const NOT_DURABLE =
  "The service has nowhere to keep saved rules (its audit log is in memory and no rules file is set): they apply to this instance only and are lost on restart.";

interface Firing {
  name: string;
  rule: { kind: string };
  value: number;
  since: string;
}

export function Alerts() {
  const [firing, setFiring] = useState<Firing[] | undefined>();
  const [rules, setRules] = useState("");
  const [inForce, setInForce] = useState<InForce | undefined>();
  const [notice, setNotice] = useState<NoticeText | undefined>();
  const load = async () => {
    try {
      setFiring((await json<{ firing: Firing[] }>("/v1/admin/alerts/firing")).firing);
      const view = await json<InForce>("/v1/admin/alerts");
      setInForce(view);
      setRules(JSON.stringify(view.rules, null, 2));
    } catch (caught) {
      setNotice({ ok: false, text: messageOf(caught) });
    }
  };
  useEffect(() => {
    void load();
  }, []);
  const save = async (event: Event) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(rules);
    } catch {
      return setNotice({ ok: false, text: "The rules are not valid JSON." });
    }
    try {
      const saved = await json<InForce>("/v1/admin/alerts", { method: "PUT", body: { rules: parsed } });
      setInForce(saved);
      setRules(JSON.stringify(saved.rules, null, 2));
      setNotice(
        saved.durable
          ? { ok: true, text: "Saved. Every instance applies them within one evaluation interval." }
          : { ok: true, text: "Saved in this instance's memory only: lost on restart." },
      );
    } catch (caught) {
      setNotice({ ok: false, text: messageOf(caught) });
    }
  };
  return (
    <section aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <h3>Firing</h3>
      {firing && firing.length === 0 && <p>Nothing fires.</p>}
      {firing && firing.length > 0 && (
        <div class="scroll">
          <Table id="alerts-firing" columns={["Name", "Kind", "Value", "Since"]}>
            {firing.map((alert) => (
              <tr key={alert.name}>
                <td>{alert.name}</td>
                <td>{alert.rule.kind}</td>
                <td>{alert.value}</td>
                <td>{new Date(alert.since).toLocaleString()}</td>
              </tr>
            ))}
          </Table>
        </div>
      )}
      <h3>Rules</h3>
      {inForce && <p id="alert-rules-source">{provenance(inForce)}</p>}
      {inForce && !inForce.durable && (
        <p class="status err" role="note">
          {NOT_DURABLE}
        </p>
      )}
      <form onSubmit={save}>
        <label for="alert-rules">Rules (JSON: a list of rules, see the alerts documentation)</label>
        <textarea id="alert-rules" rows={12} spellcheck={false} value={rules} onInput={(event) => setRules(event.currentTarget.value)} />
        <div class="buttons">
          <button type="submit">Save rules</button>
          <button type="button" onClick={load}>
            Reload
          </button>
        </div>
      </form>
      <Notice notice={notice} />
    </section>
  );
}
