// The API reference (`npm run docs`): the package's public entry points, read from package.json's
// `exports` so that a new entry point is documented (and checked) without a second list.
import { readFileSync } from "node:fs";

const { exports } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

/** `./dist/adapters/express.d.ts` → `./src/adapters/express.ts` */
const entryPoints = Object.values(exports).map((target) => target.types.replace(/^\.\/dist\//, "./src/").replace(/\.d\.ts$/, ".ts"));

/** @type {Partial<import("typedoc").TypeDocOptions>} */
export default {
  name: "otp-actions",
  entryPoints,
  entryPointStrategy: "resolve",
  tsconfig: "./tsconfig.build.json",
  out: "build/docs",
  readme: "none",
  excludePrivate: true,
  // Links to the source would name wherever this checkout came from (a CI clone has a local path).
  disableSources: true,
  excludeInternal: true,
  // `npm run typecheck` checks the types; the reference only needs them read.
  skipErrorChecking: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  // The literal behind ErrorCode; ERRORS is its public face.
  intentionallyNotExported: ["REGISTRY"],
};
