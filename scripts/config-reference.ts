/**
 * Writes docs/configuration.md from the configuration's schema and its table of environment
 * variables, so the page says exactly what the service checks. `npm run docs:config`; a test
 * fails while the committed page differs from what this prints.
 */
import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CONFIG_SCHEMA, type SchemaNode } from "../src/server/config-schema.js";
import { MAPPED_VARIABLES, VARIABLES, defaultOf, formatOf } from "../src/server/variables.js";

export const REFERENCE_PATH = resolve(dirname(fileURLToPath(import.meta.url)), "../docs/configuration.md");

/** A short file showing the shapes; the reference's test loads it, so it stays valid. */
export const EXAMPLE = `# otp-actions.yaml: otp-actions serve --config otp-actions.yaml
store: postgres://otp@db.internal/otp
defaultCountry: US
server:
  trustProxy: [10.0.0.0/8]
policy:
  maxAttempts: 3
purposes:
  payment:
    maxAttempts: 1
    codeTtlSeconds: 120
    guard:
      failuresPerIdentifier: 3
guard:
  smsCountries: [US, CA]
  sendsPerIdentifier: { max: 3, windowSeconds: 600 }
  lockout: { baseSeconds: 1800 }
channels:
  twilio:
    accountSid: AC0123456789abcdef0123456789abcdef
    from: "+14155550100"
# Secrets from the environment: OTP_KEYS, OTP_API_KEYS, OTP_TWILIO_AUTH_TOKEN
`;

interface Row {
  key: string;
  type: string;
  defaultText: string;
  description: string;
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const code = (text: string) => `\`${text}\``;

function isWindow(node: SchemaNode): boolean {
  const properties = (node.else as SchemaNode | undefined)?.properties as Record<string, unknown> | undefined;
  return properties !== undefined && Object.keys(properties).join(",") === "max,windowSeconds";
}

function typeOf(node: SchemaNode): string {
  if (isWindow(node)) return "`{ max, windowSeconds }` or `false`";
  if (node.if !== undefined) return "object or `false`";
  const types = ([] as unknown[]).concat(node.type ?? []).map(String);
  if (Array.isArray(node.enum)) return node.enum.map((value) => code(String(value))).join(" | ");
  const words = types.map((type) => {
    if (type === "integer" && typeof node.minimum === "number" && typeof node.maximum === "number")
      return `integer ${node.minimum}-${node.maximum}`;
    if (type === "array") {
      const items = node.items as SchemaNode | undefined;
      return Array.isArray(items?.enum) ? `list of ${items.enum.join(", ")}` : "list";
    }
    return type;
  });
  return `${words.join(" or ")}${node.writeOnly === true ? " (secret)" : ""}`;
}

function defaultText(path: readonly string[], node: SchemaNode): string {
  const purpose = path.indexOf("<purpose>");
  if (purpose !== -1) {
    const inherited = path[purpose + 1] === "guard" ? ["guard", ...path.slice(purpose + 2)] : ["policy", ...path.slice(purpose + 1)];
    return `${code(inherited.join("."))}'s`;
  }
  if (node.default === undefined) return "";
  const value = node.default;
  if (typeof value === "object" && value !== null) {
    const { max, windowSeconds } = value as { max: number; windowSeconds: number };
    return `${max} per ${windowSeconds} s`;
  }
  return code(String(value));
}

function rows(node: SchemaNode, path: readonly string[]): Row[] {
  const branch = node.if !== undefined && !isWindow(node) ? (node.else as SchemaNode) : node;
  const properties = branch.properties as Record<string, SchemaNode> | undefined;
  const leaf = (): Row => ({
    key: path.join("."),
    type: typeOf(node),
    defaultText: defaultText(path, node),
    description: String(node.description ?? ""),
  });
  if (!isWindow(node) && properties) {
    const own = node.if !== undefined ? [leaf()] : [];
    return [...own, ...Object.entries(properties).flatMap(([key, child]) => rows(child, [...path, key]))];
  }
  if (typeof node.additionalProperties === "object") {
    const placeholder = path.at(-1) === "purposes" ? "<purpose>" : "<channel>";
    return rows(node.additionalProperties as SchemaNode, [...path, placeholder]);
  }
  return [leaf()];
}

function settingsTables(): string {
  const top = CONFIG_SCHEMA.properties as Record<string, SchemaNode>;
  const sections: string[] = [];
  const scalars = Object.entries(top).filter(([key, node]) => key !== "$schema" && node.type !== "object");
  const tables: Array<[string, string, Row[]]> = [
    ["top level", "", scalars.flatMap(([key, node]) => rows(node, [key]))],
    ...Object.entries(top)
      .filter(([, node]) => node.type === "object")
      .map(([key, node]): [string, string, Row[]] => [key, String(node.description ?? ""), rows(node, [key])]),
  ];
  for (const [title, description, found] of tables) {
    const variables = new Map(MAPPED_VARIABLES.map((variable) => [variable.path.join("."), variable.name]));
    const lines = [
      `### ${title}`,
      "",
      ...(description ? [`${description[0]!.toUpperCase()}${description.slice(1)}.`, ""] : []),
      "| key | type | default | variable | meaning |",
      "|---|---|---|---|---|",
      ...found.map((row) => {
        const variable = variables.get(row.key);
        return `| ${code(row.key)} | ${cell(row.type)} | ${cell(row.defaultText)} | ${variable ? code(variable) : ""} | ${cell(row.description)} |`;
      }),
    ];
    sections.push(lines.join("\n"));
  }
  return sections.join("\n\n");
}

function variablesTable(): string {
  return [
    "| variable | setting | values | default | meaning |",
    "|---|---|---|---|---|",
    ...VARIABLES.map(
      (variable) =>
        `| ${code(variable.name)} | ${variable.path ? code(variable.path.join(".")) : ""} | ${cell(formatOf(variable))} | ${cell(defaultOf(variable))} | ${cell(variable.help)} |`,
    ),
  ].join("\n");
}

export function configurationReference(): string {
  return `# Configuration

<!-- Generated by \`npm run docs:config\` from src/server/config-schema.ts and src/server/variables.ts: edit those, not this page. -->

\`otp-actions serve\` reads its settings from a configuration file and from environment variables.
The file is JSON (\`.json\`) or YAML (\`.yaml\`, \`.yml\`), given as \`serve --config <file>\` or
\`OTP_CONFIG=<file>\`. Both are checked against one JSON Schema (draft 2020-12): every setting, its
type, bounds and default are listed below.

- **Environment variables win over the file.** Each variable sets one key; the tables name both.
- **Nothing unknown is ignored.** An \`OTP_*\` variable the service does not read, or a key the
  schema does not have, stops the start and names the nearest known one:
  \`OTP_MAX_ATTEMPT: unknown variable; did you mean OTP_MAX_ATTEMPTS?\`. (\`OTP_URL\`, \`OTP_API_KEY\`
  and \`OTP_TEST_*\`, the examples' and the test suite's own, are left alone.)
- **Every problem at once.** The service does not start while any setting is wrong, and reports
  them all, each named by its variable or its key path, without echoing a secret's value.
- **Secrets** (\`keys\`, \`apiKeys\`, a store URL with a password, \`channels.smtp.url\`,
  \`channels.twilio.authToken\`, \`channels.webhook.secret\`) may be in the file, but keep them in
  the environment, or in a file only the service can read.
- **Per purpose**: \`purposes.<purpose>\` overrides the code policy and the guard's limits for the
  purpose a request names (\`payment\` with one attempt, \`login\` with the defaults).
  The message templates and the channels are the same for every purpose.

## Example

\`\`\`yaml
${EXAMPLE}\`\`\`

## Settings

${settingsTables()}

## Environment variables

\`otp-actions serve --help\` prints this table too.

${variablesTable()}
`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  writeFileSync(REFERENCE_PATH, configurationReference());
  process.stdout.write(`wrote ${REFERENCE_PATH}\n`);
}
