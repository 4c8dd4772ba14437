/**
 * Search: the audit log by identifier (normalised and hashed by the server as the engine does),
 * verification id, IP, purpose, action and time; newest first, a page at a time; the same rows
 * as a CSV download. Rows never hold a code.
 */
import { useState } from "preact/hooks";
import { call, json, messageOf } from "./api.js";
import { EMPTY_FIELDS, filterOf, type SearchFields } from "./filter.js";
import { ACTIONS, type AuditPage } from "./types.js";
import { Table } from "./table.js";

const PAGE_SIZE = 50;

function Field(props: {
  name: keyof SearchFields;
  label: string;
  fields: SearchFields;
  set: (fields: SearchFields) => void;
  type?: "text" | "datetime-local";
}) {
  const id = `search-${props.name}`;
  const common = {
    id,
    name: props.name,
    value: props.fields[props.name],
    onInput: (event: Event) => props.set({ ...props.fields, [props.name]: (event.currentTarget as HTMLInputElement).value }),
  };
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.type === "datetime-local" ? <input type="datetime-local" {...common} /> : <input type="text" {...common} />}
    </div>
  );
}

export function Search() {
  const [fields, setFields] = useState<SearchFields>(EMPTY_FIELDS);
  const [searched, setSearched] = useState<Record<string, string> | undefined>();
  const [page, setPage] = useState<AuditPage | undefined>();
  // The cursors of the pages before this one, to go back.
  const [cursors, setCursors] = useState<Array<string | undefined>>([]);
  // The cursor that loaded the page shown (undefined: the first).
  const [shown, setShown] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [status, setStatus] = useState("");

  const load = async (filter: Record<string, string>, cursor: string | undefined, previous: Array<string | undefined>) => {
    try {
      const next = await json<AuditPage>("/v1/audit/query", { body: { ...filter, limit: PAGE_SIZE, ...(cursor && { cursor }) } });
      setSearched(filter);
      setPage(next);
      setCursors(previous);
      setShown(cursor);
      setError(undefined);
      setStatus(`${next.rows.length} row${next.rows.length === 1 ? "" : "s"}${next.nextCursor ? ", more on the next page" : ""}.`);
    } catch (caught) {
      setError(messageOf(caught));
    }
  };

  const exportCsv = async () => {
    if (!searched) return;
    try {
      const blob = await (await call("/v1/audit/export", { body: searched })).blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "otp-audit.csv";
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (caught) {
      setError(messageOf(caught));
    }
  };

  return (
    <section aria-labelledby="search-title">
      <h2 id="search-title">Search</h2>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          void load(filterOf(fields), undefined, []);
        }}
      >
        <Field name="identifier" label="Identifier (email or phone)" fields={fields} set={setFields} />
        <Field name="identifierHash" label="Identifier hash (from a row or an export)" fields={fields} set={setFields} />
        <Field name="verificationId" label="Verification id" fields={fields} set={setFields} />
        <Field name="clientIp" label="IP address" fields={fields} set={setFields} />
        <Field name="purpose" label="Purpose" fields={fields} set={setFields} />
        <div class="field">
          <label for="search-action">Action</label>
          <select
            id="search-action"
            value={fields.action}
            onChange={(event) => setFields({ ...fields, action: event.currentTarget.value })}
          >
            <option value="">any</option>
            {ACTIONS.map((action) => (
              <option key={action} value={action}>
                {action}
              </option>
            ))}
          </select>
        </div>
        <Field name="from" label="From" type="datetime-local" fields={fields} set={setFields} />
        <Field name="to" label="To" type="datetime-local" fields={fields} set={setFields} />
        <div class="buttons">
          <button type="submit">Search</button>
          <button type="button" onClick={exportCsv} disabled={!searched}>
            Export CSV
          </button>
        </div>
      </form>
      {error && (
        <p class="status err" role="alert">
          {error}
        </p>
      )}
      <p role="status" aria-live="polite">
        {status}
      </p>
      {page && page.rows.length > 0 && (
        <div class="scroll">
          <Table id="search-results" columns={["Time", "Action", "Status", "Purpose", "Channel", "Identifier", "IP", "Verification"]}>
            {page.rows.map((row) => (
              <tr key={row.eventId}>
                <td>{new Date(row.at).toLocaleString()}</td>
                <td>{row.action}</td>
                <td>{row.status}</td>
                <td>{row.purpose}</td>
                <td>{row.channel}</td>
                <td>{row.identifierMasked}</td>
                <td>{row.clientIp}</td>
                <td>
                  {row.verificationId && <a href={`#/verification/${encodeURIComponent(row.verificationId)}`}>{row.verificationId}</a>}
                </td>
              </tr>
            ))}
          </Table>
        </div>
      )}
      {page && searched && (
        <nav class="pager" aria-label="Pages">
          <button
            type="button"
            disabled={cursors.length === 0}
            onClick={() => void load(searched, cursors[cursors.length - 1], cursors.slice(0, -1))}
          >
            Previous page
          </button>
          <button type="button" disabled={!page.nextCursor} onClick={() => void load(searched, page.nextCursor, [...cursors, shown])}>
            Next page
          </button>
        </nav>
      )}
    </section>
  );
}
