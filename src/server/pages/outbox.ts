import type { OutboxEntry } from "../outbox.js";
import { escapeHtml, page } from "./html.js";

export function outboxPage(entries: readonly OutboxEntry[]): string {
  const rows = entries
    .map(
      (entry) =>
        `<tr data-to="${escapeHtml(entry.to)}"><td>${escapeHtml(entry.sentAt)}</td><td>${escapeHtml(entry.channel)}</td><td class="to">${escapeHtml(entry.to)}</td>` +
        `<td>${escapeHtml(entry.purpose)}</td><td class="code">${escapeHtml(entry.code)}</td></tr>`,
    )
    .join("\n");
  return page(
    "otp-actions outbox",
    `<h1>Outbox</h1>
<p>Development mode: the most recent messages, newest first. <a href="/dev/outbox">Refresh</a> · <a href="/">Demo</a></p>
${entries.length === 0 ? `<p id="empty">No messages yet.</p>` : ""}
<table id="messages"><thead><tr><th>Sent</th><th>Channel</th><th>To</th><th>Purpose</th><th>Code</th></tr></thead>
<tbody>
${rows}
</tbody></table>`,
  );
}
