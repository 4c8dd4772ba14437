/**
 * Reads the configuration file: JSON (.json) or YAML (.yaml, .yml). A file that cannot be read or
 * parsed is a problem named after where its path came from; the parser's own message is not
 * repeated, since it quotes the line, and the line may hold a secret.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { YAMLParseError, parse as parseYaml } from "yaml";

export type ConfigFileResult = { settings: Record<string, unknown> } | { problem: string };

export function readConfigFile(path: string): ConfigFileResult {
  const extension = extname(path).toLowerCase();
  if (extension !== ".json" && extension !== ".yaml" && extension !== ".yml")
    return { problem: `'${path}' must end in .json, .yaml or .yml` };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return { problem: `'${path}' cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})` };
  }
  let parsed: unknown;
  try {
    parsed = extension === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    return { problem: `'${path}' is not valid ${extension === ".json" ? "JSON" : "YAML"}${where(error, text)}` };
  }
  if (parsed === null || parsed === undefined) return { settings: {} };
  if (typeof parsed !== "object" || Array.isArray(parsed)) return { problem: `'${path}' must hold an object of settings` };
  return { settings: parsed as Record<string, unknown> };
}

/** " at line L, column C" from either parser's error, without its excerpt of the text. */
function where(error: unknown, text: string): string {
  if (error instanceof YAMLParseError && error.linePos) {
    const [{ line, col }] = error.linePos;
    return ` at line ${line}, column ${col} (${error.code})`;
  }
  const position = /position (\d+)/.exec((error as Error).message);
  if (!position) return "";
  const before = text.slice(0, Number(position[1])).split("\n");
  return ` at line ${before.length}, column ${before.at(-1)!.length + 1}`;
}
