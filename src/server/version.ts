/** The service's version, reported by /openapi.json and `--version`. Kept in step with package.json. */
export const VERSION = "0.1.0";
