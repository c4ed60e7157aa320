// Proves the model table: which anomalies each model forbids, in which scope of edges, after
// Adya and Elle (snapshot isolation allows write skew; session models see process order; strict
// models see real time).
import assert from "node:assert/strict";
import { InputError } from "../../assert.ts";
import { checkModelName, forbids, modelNames, needsRealtime } from "./models.ts";

Deno.test("each model forbids its anomalies and allows the weaker models' allowances", () => {
  const table: [string, string[], string[]][] = [
    ["read-uncommitted", ["G0", "duplicate-elements", "garbage-read"], ["G1a", "G1b", "G1c", "internal", "G2"]],
    ["read-committed", ["G0", "G1a", "G1b", "G1c", "incompatible-order"], ["G-single", "lost-update", "internal"]],
    ["snapshot-isolation", ["G-single", "G-nonadjacent", "lost-update", "internal"], ["G2", "G-single-process"]],
    ["serializable", ["G2", "G-single", "G1c"], ["G2-process", "G2-realtime", "G0-realtime"]],
    ["strong-session-serializable", ["G2-process", "G0"], ["G2-realtime"]],
    ["strong-session-snapshot-isolation", ["G-single-process"], ["G2-process", "G-single-realtime"]],
    ["strong-snapshot-isolation", ["G-nonadjacent-realtime", "G1c-process"], ["G2-realtime"]],
    ["strict-serializable", ["G2-realtime", "G-single-process", "G0"], []],
  ];
  for (const [model, forbidden, allowed] of table) {
    for (const type of forbidden) assert.ok(forbids(model as never, type as never), `${model} forbids ${type}`);
    for (const type of allowed) assert.ok(!forbids(model as never, type as never), `${model} allows ${type}`);
  }
});

Deno.test("real time is needed by strict-serializable and strong-snapshot-isolation only", () => {
  assert.deepEqual(modelNames.filter(needsRealtime), ["strong-snapshot-isolation", "strict-serializable"]);
});

Deno.test("an unknown model name is refused with the known ones", () => {
  assert.throws(
    () => checkModelName("linearizable"),
    (e: Error) => e instanceof InputError && /known: read-uncommitted/.test(e.message),
  );
});
