// Proves parameter schemas fill defaults, coerce command-line strings and refuse bad input with
// a message naming the parameter and what is allowed.
import assert from "node:assert/strict";
import { describeParams, type ParamSchema, resolveParams } from "./params.ts";

const schema: ParamSchema = {
  replicas: { type: "integer", default: 3, min: 1, max: 7, description: "replication factor" },
  loss: { type: "number", default: 0, min: 0, max: 1, description: "loss probability" },
  mode: { type: "choice", default: "cp", choices: ["cp", "ap"], description: "consistency mode" },
  fsync: { type: "boolean", default: true, description: "fsync before ack" },
};

Deno.test("resolveParams fills defaults and coerces strings from a command line", () => {
  assert.deepEqual(resolveParams(schema, {}), { replicas: 3, loss: 0, mode: "cp", fsync: true });
  assert.deepEqual(resolveParams(schema, { replicas: "5", loss: "0.25", mode: "ap", fsync: "false" }), {
    replicas: 5,
    loss: 0.25,
    mode: "ap",
    fsync: false,
  });
});

Deno.test("resolveParams refuses unknown names, wrong types and out-of-range values", () => {
  assert.throws(() => resolveParams(schema, { replica: 3 }), /unknown parameter "replica"; allowed: replicas, loss/);
  assert.throws(() => resolveParams(schema, { replicas: 2.5 }), /replicas must be an integer in \[1, 7\], got 2.5/);
  assert.throws(() => resolveParams(schema, { replicas: 9 }), /replicas must be in \[1, 7\], got 9/);
  assert.throws(() => resolveParams(schema, { loss: "lots" }), /loss must be a number in \[0, 1\]/);
  assert.throws(() => resolveParams(schema, { mode: "ca" }), /mode must be one of cp, ap; got "ca"/);
  assert.throws(() => resolveParams(schema, { replicas: "" }), /replicas must be a integer/);
});

Deno.test("describeParams prints one line per parameter with type, range and default", () => {
  const lines = describeParams(schema);
  assert.equal(lines.length, 4);
  assert.equal(lines[0], "replicas (integer in [1, 7], default 3): replication factor");
  assert.equal(lines[2], "mode (choice one of cp|ap, default cp): consistency mode");
});
