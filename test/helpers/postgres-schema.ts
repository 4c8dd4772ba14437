/**
 * An empty schema of its own in the shared Postgres, and a connection string whose search_path
 * is that schema: a store on it finds none of the default tables another test made.
 */
import pg from "pg";
import { POSTGRES_URL } from "./services.js";

export interface FreshSchema {
  name: string;
  /** POSTGRES_URL with `options=-c search_path=<name>`. */
  url: string;
  drop(): Promise<void>;
}

export async function freshSchema(label: string): Promise<FreshSchema> {
  const name = `otp_${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
