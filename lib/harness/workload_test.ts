// Proves the key-value generator draws deletes at the fraction asked, refuses fractions that do
// not add up, and replays exactly as before when no deletes are asked for.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { Rng } from "../sim/mod.ts";
import { keyValueGenerator } from "./workload.ts";

const draw = (options: Parameters<typeof keyValueGenerator>[0], count: number) => {
  const generator = keyValueGenerator(options);
  const rng = Rng.fromSeed(7);
  return Array.from({ length: count }, (_, sequence) => generator.next(rng, { process: 1, sequence }));
};

Deno.test("keyValueGenerator: a delete fraction of 0.2 makes about a fifth of the operations deletes of value null", () => {
  const requests = draw({ keys: 4, readFraction: 0.5, deleteFraction: 0.2, writeF: "put" }, 5_000);
  const deletes = requests.filter((r) => r.f === "delete");
  assert.ok(Math.abs(deletes.length / requests.length - 0.2) < 0.03, `${deletes.length} deletes`);
  assert.ok(deletes.every((r) => r.value === null && /^k[0-3]$/.test(r.key ?? "")));
  assert.ok(Math.abs(requests.filter((r) => r.f === "get").length / requests.length - 0.5) < 0.03);
});

Deno.test("keyValueGenerator: without deletes the operations are the ones drawn before deletes existed", () => {
  const without = draw({ keys: 4, readFraction: 0.5, writeF: "put" }, 200);
  const zero = draw({ keys: 4, readFraction: 0.5, deleteFraction: 0, writeF: "put" }, 200);
  assert.deepEqual(without, zero);
  assert.ok(without.every((r) => r.f !== "delete"));
});

Deno.test("keyValueGenerator: a delete fraction above 1 - readFraction is refused naming the bound", () => {
  assert.throws(
    () => keyValueGenerator({ keys: 1, readFraction: 0.9, deleteFraction: 0.2, writeF: "put" }),
    (e) => e instanceof InputError && /deleteFraction must be .* at most 1 - readFraction/.test(e.message),
  );
});
