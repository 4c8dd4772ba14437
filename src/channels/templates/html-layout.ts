import { escapeHtml } from "../../core/html-escape.js";

/** The HTML page every message is laid out in: `body` inside, the subject as its title. */
export function htmlDocument(locale: string, subject: string, body: string): string {
  return (
    `<!doctype html>\n<html lang="${escapeHtml(locale)}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n` +
    `<body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111;line-height:1.5">\n${body}\n</body></html>\n`
  );
}

/** An overridden plain text as HTML: paragraphs at blank lines, line breaks kept, all escaped. */
export function textToHtml(text: string): string {
  return text
    .trim()
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, "<br>")}</p>`)
    .join("\n");
}
