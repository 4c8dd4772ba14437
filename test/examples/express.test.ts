/**
 * examples/express as a user runs it: installed from the packed tarball, built, started, then the
 * sign-in flow, and a body Express cannot parse answered in the one shape.
 */
import { expect, it } from "vitest";
import { describeExample } from "../helpers/example-flow.js";

await describeExample({ name: "express", title: "Express", paths: { start: "/login/start", verify: "/login/verify" } }, (app) => {
  it("answers a body express.json() cannot parse as 400 INVALID_REQUEST in the same shape, not Express's HTML page", async () => {
    const response = await fetch(`${app().baseUrl}/login/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.any(String), error_code: "INVALID_REQUEST" });
  });
});
