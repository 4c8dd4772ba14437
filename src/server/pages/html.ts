/** Escaping and the page shell shared by the service's few HTML pages (no inline script or style: see the CSP). */
import { escapeHtml } from "../../core/html-escape.js";

export { escapeHtml };

export function page(title: string, body: string, scripts: readonly string[] = []): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/style.css">
${scripts.map((src) => `<script src="${escapeHtml(src)}" defer></script>`).join("\n")}
</head>
<body>
${body}
</body>
</html>
`;
}
