/**
 * The admin's alert rules in the SQLite audit log's file: one row (id 1) holding the rules as JSON
 * text, a version counting the saves and when it was saved. A save is one upsert statement.
 */
import type BetterSqlite3 from "better-sqlite3";
import { sqliteTableExists } from "../../drivers/table-exists.js";
import type { AlertRulesStore, SavedAlertRules } from "./rules-store.js";
import type { AlertRule } from "./rules.js";

interface Row {
  rules: string;
  version: number;
  updated_at: number;
}

export class SqliteAlertRulesStore implements AlertRulesStore {
  readonly where: string;
  readonly #database: BetterSqlite3.Database;
  /** The table the rules are saved in. */
  readonly tableName: string;

  /** On the audit log's own connection, closed with it. */
  constructor(options: { database: BetterSqlite3.Database; table: string; where: string }) {
    this.#database = options.database;
    this.tableName = options.table;
    this.where = `table ${options.table} on ${options.where}`;
  }

  async migrate(): Promise<void> {
    this.#database.exec(`
      CREATE TABLE IF NOT EXISTS ${this.tableName} (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        rules TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )
    `);
  }

  async migrated(): Promise<boolean> {
    return sqliteTableExists(this.#database, this.tableName);
  }

  async load(): Promise<SavedAlertRules | undefined> {
    const row = this.#database.prepare<[], Row>(`SELECT rules, version, updated_at FROM ${this.tableName} WHERE id = 1`).get();
    if (!row) return undefined;
    let rules: unknown;
    try {
      rules = JSON.parse(row.rules);
    } catch {
      // Refused by the rules' check, with the rest of what a hand edit can break.
      rules = row.rules;
    }
    return { rules, ...saved(row) };
  }

  async revision(): Promise<string | undefined> {
    const row = this.#database.prepare<[], Row>(`SELECT version, updated_at FROM ${this.tableName} WHERE id = 1`).get();
    return row && saved(row).revision;
  }

  async save(rules: readonly AlertRule[]): Promise<SavedAlertRules> {
    const t = this.tableName;
    const row = this.#database
      .prepare<[string, number], Row>(
        `INSERT INTO ${t} (id, rules, version, updated_at) VALUES (1, ?, 1, ?)
         ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, version = ${t}.version + 1, updated_at = excluded.updated_at
         RETURNING version, updated_at`,
      )
      .get(JSON.stringify(rules), Date.now())!;
    return { rules: structuredClone(rules), ...saved(row) };
  }
}

function saved(row: Pick<Row, "version" | "updated_at">): Omit<SavedAlertRules, "rules"> {
  const version = Number(row.version);
  const updatedAt = new Date(Number(row.updated_at));
  return { version, updatedAt, revision: `${version}:${updatedAt.getTime()}` };
}
