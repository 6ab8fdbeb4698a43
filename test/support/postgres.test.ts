import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { startPostgres } from "./postgres.ts";

test("startPostgres gives each caller its own real database", async () => {
  const a = await startPostgres();
  const b = await startPostgres();
  try {
    assert.notEqual(a.url, b.url);
    const client = new pg.Client({ connectionString: a.url });
    await client.connect();
    try {
      await client.query("CREATE TABLE t (x int)");
      await client.query("INSERT INTO t VALUES (41), (1)");
      const { rows } = await client.query<{ s: string }>("SELECT sum(x)::text AS s FROM t");
      assert.equal(rows[0]?.s, "42");
    } finally {
      await client.end();
    }
    const other = new pg.Client({ connectionString: b.url });
    await other.connect();
    try {
      await assert.rejects(other.query("SELECT * FROM t"), /does not exist/);
    } finally {
      await other.end();
    }
  } finally {
    await a.stop();
    await b.stop();
  }
});
