import { page } from "./html.js";

export function docsPage(): string {
  return page(
    "otp-actions API",
    `<h1 id="title">otp-actions API</h1>
<p>Every <code>/v1</code> route needs <code>Authorization: Bearer &lt;key&gt;</code>. The document itself: <a href="/openapi.json">/openapi.json</a>.</p>
<div id="routes"></div>`,
    ["/assets/docs.js"],
  );
}
