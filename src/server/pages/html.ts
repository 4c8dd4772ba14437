/** Escaping and the page shell shared by the service's few HTML pages (no inline script or style: see the CSP). */
import { escapeHtml } from "../../core/html-escape.js";

export { escapeHtml };

export function page(
  title: string,
  body: string,
  scripts: readonly string[] = [],
  stylesheets: readonly string[] = ["/assets/style.css"],
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${stylesheets.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join("\n")}
${scripts.map((src) => `<script src="${escapeHtml(src)}" defer></script>`).join("\n")}
</head>
<body>
${body}
</body>
</html>
`;
}
