/**
 * The configuration as one document: the file's settings with the environment's laid over them,
 * checked against the schema. Each problem is named where the operator set the value (the
 * variable, or the key path in the file), says what the setting must be, and echoes a value only
 * when it is not a secret. An unknown variable or key names the nearest known one.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { closest, distance } from "fastest-levenshtein";
import { CONFIG_SCHEMA, schemaAt, type SchemaNode } from "./config-schema.js";
import { MAPPED_VARIABLES, VARIABLES, isForeignVariable, kindProblem, readVariable, type Variable } from "./variables.js";

export interface Problem {
  variable: string;
  problem: string;
}

type Env = Record<string, string | undefined>;
type Path = readonly string[];

export interface ConfigDocument {
  /** The merged settings; a value the schema refused is left out, so its default applies while the problems are reported. */
  readonly settings: Record<string, unknown>;
  /** Where the operator set what is at `path`: its variable, or its key path in the file. */
  nameOf(path: Path): string;
  /** Whether the environment, rather than the file or a default, gave the setting at `path`. */
  fromEnvironment(path: Path): boolean;
}

let validator: ValidateFunction | undefined;

function validate(document: unknown): ErrorObject[] {
  validator ??= new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, keywords: ["problem"] }).compile(
    CONFIG_SCHEMA,
  );
  return validator(document) ? [] : [...(validator.errors ?? [])];
}

/** A variable set to an empty string counts as not set, as shells and compose files leave them. */
export function variableValue(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === "" ? undefined : raw;
}

export function configDocument(env: Env, file: Record<string, unknown> | undefined, problems: Problem[]): ConfigDocument {
  const known = new Set(VARIABLES.map((variable) => variable.name));
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("OTP_") || known.has(name) || isForeignVariable(name)) continue;
    problems.push({
      variable: name,
      problem: `unknown variable; ${nearest(name, [...known], "variable", "see otp-actions serve --help")}`,
    });
  }

  const settings = structuredClone(file ?? {});
  const fromEnv = new Map<string, { variable: Variable; raw: string }>();
  for (const variable of MAPPED_VARIABLES) {
    const raw = variableValue(env, variable.name);
    if (raw === undefined) continue;
    setAt(settings, variable.path, readVariable(variable.kind, raw));
    fromEnv.set(variable.path.join("."), { variable, raw });
  }

  const inFile = (path: Path) => file !== undefined && getAt(file, path) !== undefined;
  const nameOf = (path: Path): string => {
    const key = path.join(".");
    const env = fromEnv.get(key);
    if (env) return env.variable.name;
    // In the file, or missing from a section the file has: the key path; otherwise the variable.
    if (inFile(path) || (path.length > 1 && inFile(path.slice(0, -1)))) return key;
    return MAPPED_VARIABLES.find((variable) => variable.path.join(".") === key)?.name ?? key;
  };

  const named = new Set<string>();
  const refused: Path[] = [];
  for (const error of validate(settings)) {
    const found = problemOf(error, nameOf, fromEnv);
    if (!found) continue;
    refused.push(found.path);
    if (named.has(found.problem.variable)) continue;
    named.add(found.problem.variable);
    problems.push(found.problem);
  }
  // Deepest first, so removing a value never moves another one still to remove.
  for (const path of refused.sort((a, b) => b.length - a.length)) deleteAt(settings, path);

  return { settings, nameOf, fromEnvironment: (path) => fromEnv.has(path.join(".")) };
}

/** An ajv error as the operator's problem, and the path of the value to leave out. */
function problemOf(
  error: ErrorObject,
  nameOf: (path: Path) => string,
  fromEnv: ReadonlyMap<string, { variable: Variable; raw: string }>,
): { path: Path; problem: Problem } | undefined {
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
  const node = error.parentSchema as SchemaNode | undefined;
  switch (error.keyword) {
    // The branch's own error says what is wrong; these only say that a branch failed.
    case "if":
      return undefined;
    case "additionalProperties": {
      const key = String(error.params.additionalProperty);
      const keys = Object.keys((node?.properties as object | undefined) ?? {});
      const unknown = [...path, key];
      return { path: unknown, problem: { variable: unknown.join("."), problem: `unknown key; ${nearest(key, keys, "key", "")}`.trim() } };
    }
    case "propertyNames": {
      const key = String(error.params.propertyName);
      const words = ((node?.propertyNames as SchemaNode | undefined)?.problem as string | undefined) ?? "is not a valid name";
      return { path: [...path, key], problem: { variable: [...path, key].join("."), problem: words } };
    }
    case "required": {
      const missing = [...path, String(error.params.missingProperty)];
      return { path: [], problem: { variable: nameOf(missing), problem: "is required" } };
    }
  }
  if (error.schemaPath.includes("/propertyNames/")) return undefined; // reported by its propertyNames error
  const env = fromEnv.get(path.join("."));
  const words = (env && kindProblem(env.variable.kind)) ?? wordsFor(error, node);
  const { secret } = schemaAt(path);
  const shown = env ? env.raw : typeof error.data === "string" ? error.data : JSON.stringify(error.data);
  const got = secret || shown === undefined ? "" : `, got '${shown.slice(0, 40)}'`;
  return { path, problem: { variable: nameOf(path), problem: `${words}${got}` } };
}

function wordsFor(error: ErrorObject, node: SchemaNode | undefined): string {
  if (node?.type === "integer" && typeof node.minimum === "number" && typeof node.maximum === "number")
    return `must be an integer from ${node.minimum} to ${node.maximum}`;
  if (typeof node?.problem === "string") return node.problem;
  if (error.keyword === "enum") return `must be ${orList((error.params.allowedValues as unknown[]).map(String))}`;
  if (error.keyword === "minItems") return "lists nothing";
  if (error.keyword === "type")
    return `must be ${orList(
      String(error.params.type)
        .split(",")
        .map((type) => TYPE_WORDS[type] ?? type),
    )}`;
  return error.message ?? "is not valid";
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  array: "a list",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  object: "an object",
};

function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/** "did you mean X?" when a known name is near enough to be the one meant. */
export function nearest(name: string, known: readonly string[], what: string, otherwise: string): string {
  if (known.length === 0) return otherwise;
  const best = closest(name, [...known]);
  const near = distance(name.toUpperCase(), best.toUpperCase()) <= Math.max(2, Math.floor(best.length / 4));
  if (near) return `did you mean ${best}?`;
  return otherwise || `the known ${what}s here are ${known.join(", ")}`;
}

function getAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function setAt(root: Record<string, unknown>, path: Path, value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

function deleteAt(root: Record<string, unknown>, path: Path): void {
  if (path.length === 0) return;
  const parent = getAt(root, path.slice(0, -1));
  if (typeof parent === "object" && parent !== null) delete (parent as Record<string, unknown>)[path.at(-1)!];
}
