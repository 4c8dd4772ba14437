/**
 * The console's one HTML page. It holds no data and no secret: the script draws every view after
 * asking /admin/session whether this browser is signed in, and shows the sign-in form if not.
 */
import { page } from "../pages/html.js";

export function consolePage(): string {
  return page(
    "otp-actions console",
    `<div id="app"><main><h1>otp-actions console</h1><p>Loading… (the console needs JavaScript)</p></main></div>`,
    ["/admin/assets/console.js"],
    ["/admin/assets/console.css"],
  );
}
