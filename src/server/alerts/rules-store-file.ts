/**
 * The admin's alert rules in a file (`alerts.rulesFile`): `{ "version", "updatedAt", "rules" }`,
 * replaced whole. A save writes a new file beside it, flushes it to disk and renames it over the
 * old one, so a crash or a full disk leaves the old file or the new one, never half of either.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { AlertRulesStore, SavedAlertRules } from "./rules-store.js";
import type { AlertRule } from "./rules.js";

export class FileAlertRulesStore implements AlertRulesStore {
  readonly where: string;
  readonly #path: string;

  constructor(path: string) {
    this.#path = resolve(path);
    this.where = `file ${this.#path}`;
  }

  async load(): Promise<SavedAlertRules | undefined> {
    let text: string;
    let revision: string | undefined;
    try {
      // The revision first: a save in between then only costs one more load.
      revision = await this.revision();
      text = await readFile(this.#path, "utf8");
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    if (revision === undefined) return undefined;
    let document: { version?: unknown; updatedAt?: unknown; rules?: unknown };
    try {
      document = JSON.parse(text) ?? {};
    } catch {
      // Refused by the rules' check, with the rest of what a hand edit can break.
      return { rules: text, version: 0, updatedAt: new Date(0), revision };
    }
    const version = typeof document.version === "number" ? document.version : 0;
    const updatedAt = typeof document.updatedAt === "string" ? new Date(document.updatedAt) : new Date(0);
    return { rules: document.rules, version, updatedAt, revision };
  }

  /** The file's identity, size and modification time: a rename or an edit in place changes it. */
  async revision(): Promise<string | undefined> {
    try {
      const info = await stat(this.#path, { bigint: true });
      return `${info.ino}:${info.size}:${info.mtimeNs}`;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async save(rules: readonly AlertRule[]): Promise<SavedAlertRules> {
    const previous = await this.load().catch(() => undefined);
    const version = (previous?.version ?? 0) + 1;
    const updatedAt = new Date();
    const text = `${JSON.stringify({ version, updatedAt: updatedAt.toISOString(), rules }, null, 2)}\n`;
    const directory = dirname(this.#path);
    await mkdir(directory, { recursive: true, mode: 0o700 });
    // In the same directory, so the rename stays on one file system and replaces in one step.
    const temporary = join(directory, `.${basename(this.#path)}.${randomBytes(6).toString("hex")}.tmp`);
    let renamed = false;
    try {
      const file = await open(temporary, "wx", 0o600);
      try {
        await file.writeFile(text);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, this.#path);
      renamed = true;
    } finally {
      if (!renamed) await unlink(temporary).catch(() => undefined);
    }
    // The rename itself reaches the disk with the directory's entry; not every system can open one.
    await syncDirectory(directory);
    const revision = await this.revision();
    return { rules: structuredClone(rules), version, updatedAt, revision: revision ?? "" };
  }
}

/** The rules kept in the file at `path` (created on the first save, mode 0600). */
export function fileAlertRulesStore(path: string): FileAlertRulesStore {
  return new FileAlertRulesStore(path);
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r").catch(() => undefined);
  if (!handle) return;
  await handle
    .sync()
    .catch(() => undefined)
    .finally(() => handle.close());
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown }).code === "ENOENT";
}
