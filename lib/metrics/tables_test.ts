// Proves tidy rows become arquero tables with one row per element and one column per field.
import assert from "node:assert/strict";
import { table } from "./tables.ts";

Deno.test("a list of rows becomes an arquero table with as many rows and the rows' columns", () => {
  const rows = [{ f: "read", latencyUs: 900 }, { f: "write", latencyUs: 2_100 }];
  const t = table(rows);
  assert.equal(t.numRows(), 2);
  assert.deepEqual(t.columnNames(), ["f", "latencyUs"]);
  assert.deepEqual(t.objects(), rows);
});

Deno.test("an empty list becomes an empty table", () => {
  assert.equal(table([]).numRows(), 0);
});
