import { page } from "./html.js";

export function demoPage(): string {
  return page(
    "otp-actions demo",
    `<h1>otp-actions demo</h1>
<p>Development mode. Enter an email address, read the code in the <a href="/dev/outbox" target="_blank" rel="noopener">outbox</a>, and verify it.</p>
<form id="start-form">
  <input id="email" name="email" type="email" required placeholder="you@example.com" autocomplete="email">
  <button id="send" type="submit">Send code</button>
</form>
<form id="check-form" class="hidden">
  <input id="code" name="code" inputmode="numeric" pattern="[0-9]*" required placeholder="123456" autocomplete="one-time-code">
  <button id="verify" type="submit">Verify</button>
</form>
<p id="status" class="status" role="status" aria-live="polite">Not started.</p>
<p><a href="/docs">API reference</a> · <a href="/health/otp">health</a></p>`,
    ["/assets/demo.js"],
  );
}
