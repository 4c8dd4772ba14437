/** examples/hono as a user runs it: installed from the packed tarball, built, started, then the sign-in flow. */
import { describeExample } from "../helpers/example-flow.js";

await describeExample({ name: "hono", title: "Hono", paths: { start: "/login/start", verify: "/login/verify" } });
