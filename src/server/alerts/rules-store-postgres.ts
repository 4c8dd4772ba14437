/**
 * The admin's alert rules in the Postgres audit log's database, on its pool: one row (id 1)
 * holding the rules as jsonb, a version counting the saves and when it was saved. A save is one
 * upsert statement, bounded like the audit log's own.
 */
import type pg from "pg";
import { boundedStatement, migratePostgres } from "../../drivers/pg-work.js";
import { postgresTableExists } from "../../drivers/table-exists.js";
import { withTimeout } from "../../core/util/with-timeout.js";
import type { AlertRulesStore, SavedAlertRules } from "./rules-store.js";
import type { AlertRule } from "./rules.js";

interface Row {
  rules: unknown;
  version: string | number;
  updated_at: Date;
}

/** Bound on each statement, as the audit log's. */
const TIMEOUT_MS = 5000;

export class PostgresAlertRulesStore implements AlertRulesStore {
  readonly where: string;
  readonly #pool: pg.Pool;
  /** The table the rules are saved in. */
  readonly tableName: string;

  /** On the audit log's pool, closed with it. */
  constructor(options: { pool: pg.Pool; table: string; where: string }) {
    this.#pool = options.pool;
    this.tableName = options.table;
    this.where = `table ${options.table} on ${options.where}`;
  }

  async migrate(): Promise<void> {
    await migratePostgres(this.#pool, {
      table: this.tableName,
      timeoutMs: TIMEOUT_MS,
      statements: [
        `CREATE TABLE IF NOT EXISTS ${this.tableName} (
          id integer PRIMARY KEY CHECK (id = 1),
          rules jsonb NOT NULL,
          version bigint NOT NULL,
          updated_at timestamptz NOT NULL
        )`,
      ],
    });
  }

  migrated(): Promise<boolean> {
    return postgresTableExists(this.#pool, this.tableName, TIMEOUT_MS);
  }

  async load(): Promise<SavedAlertRules | undefined> {
    const { rows } = await this.#query(`SELECT rules, version, updated_at FROM ${this.tableName} WHERE id = 1`);
    return rows[0] && { rules: rows[0].rules, ...saved(rows[0]) };
  }

  async revision(): Promise<string | undefined> {
    const { rows } = await this.#query(`SELECT version, updated_at FROM ${this.tableName} WHERE id = 1`);
    return rows[0] && saved(rows[0]).revision;
  }

  async save(rules: readonly AlertRule[]): Promise<SavedAlertRules> {
    const t = this.tableName;
    const { rows } = await this.#query(
      `INSERT INTO ${t} (id, rules, version, updated_at) VALUES (1, $1::jsonb, 1, now())
       ON CONFLICT (id) DO UPDATE SET rules = EXCLUDED.rules, version = ${t}.version + 1, updated_at = EXCLUDED.updated_at
       RETURNING version, updated_at`,
      [JSON.stringify(rules)],
    );
    return { rules: structuredClone(rules), ...saved(rows[0]!) };
  }

  #query(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>> {
    return withTimeout(() => this.#pool.query<Row>(boundedStatement(text, TIMEOUT_MS, values)), TIMEOUT_MS, "postgres");
  }
}

function saved(row: Pick<Row, "version" | "updated_at">): Omit<SavedAlertRules, "rules"> {
  const version = Number(row.version);
  const updatedAt = new Date(row.updated_at);
  return { version, updatedAt, revision: `${version}:${updatedAt.getTime()}` };
}
