/**
 * Static assets, kept in TypeScript so `npm run build` carries them into dist/ with the code.
 */
export const STYLE_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
body { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
form { display: flex; gap: .5rem; flex-wrap: wrap; margin: 1rem 0; }
input { padding: .5rem; font-size: 1rem; border: 1px solid #b8bfcc; border-radius: 4px; min-width: 16rem; }
button { padding: .5rem 1rem; font-size: 1rem; border: 0; border-radius: 4px; background: #2f5bd3; color: #fff; cursor: pointer; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #dde1e8; }
code, .code { font-family: ui-monospace, monospace; }
.code { font-size: 1.1rem; font-weight: bold; letter-spacing: .1em; }
.status { padding: .75rem 1rem; border-radius: 4px; background: #fff; border: 1px solid #dde1e8; }
.ok { border-color: #2e8540; color: #1d5e2c; } .err { border-color: #c0392b; color: #8e2a1f; }
.hidden { display: none; }
`;

/** The demo page's script: start → read the code from the outbox → check. */
export const DEMO_JS = `
"use strict";
(function () {
  var context = null;
  var email = null;
  function $(id) { return document.getElementById(id); }
  function show(text, ok) {
    var status = $("status");
    status.textContent = text;
    status.className = "status " + (ok ? "ok" : "err");
  }
  async function post(path, body) {
    var response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    var data = await response.json().catch(function () { return {}; });
    return { ok: response.ok, data: data };
  }
  $("start-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    email = $("email").value;
    var result = await post("/dev/demo/start", { email: email });
    if (!result.ok) return show(result.data.error || "Could not send a code.", false);
    context = result.data.context;
    $("check-form").classList.remove("hidden");
    show("A code was sent to " + email + ". Open the outbox to read it, then enter it below.", true);
    $("code").focus();
  });
  $("check-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var result = await post("/dev/demo/check", { context: context, code: $("code").value });
    if (result.ok) {
      $("check-form").classList.add("hidden");
      return show("Verified: " + result.data.identifier, true);
    }
    if (result.data.context) context = result.data.context;
    var remaining = result.data.attempts_remaining;
    show((result.data.error || "Not verified.") + (remaining !== undefined ? " Attempts remaining: " + remaining + "." : ""), false);
  });
})();
`;
