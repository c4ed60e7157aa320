// Proves a swarm draw is a pure function of its seed, switches each package on about half the
// time, never tests nothing, takes knob values only from their lists, and refuses a space it
// cannot draw from.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { drawSwarm, type SwarmSpace } from "./swarm.ts";

const space: SwarmSpace = {
  packages: { a: { choices: [] }, b: { choices: [] }, c: { choices: [] }, d: { choices: [] } },
  meanIntervalUs: [50_000, 800_000],
  knobs: { mode: ["x", "y", "z"], size: [1, 3, 10] },
};

Deno.test("swarm: the same seed draws the same configuration, other seeds other ones", () => {
  assert.deepEqual(drawSwarm(space, 42), drawSwarm(space, 42));
  const distinct = new Set(Array.from({ length: 50 }, (_, seed) => JSON.stringify(drawSwarm(space, seed))));
  assert.ok(distinct.size > 40, `only ${distinct.size} distinct draws in 50 seeds`);
});

Deno.test("swarm: each package is on in about half the seeds, and no draw is empty", () => {
  const on = new Map<string, number>();
  for (let seed = 0; seed < 2_000; seed++) {
    const draw = drawSwarm(space, seed);
    assert.ok(draw.packages.length > 0, `seed ${seed} drew no package`);
    for (const name of draw.packages) on.set(name, (on.get(name) ?? 0) + 1);
    assert.ok(draw.meanIntervalUs >= 50_000 && draw.meanIntervalUs <= 800_000, `interval ${draw.meanIntervalUs}`);
    assert.ok(["x", "y", "z"].includes(draw.knobs.mode as string));
    assert.ok([1, 3, 10].includes(draw.knobs.size as number));
  }
  // 1/2 on, plus the rare all-off draw that picks one (1/16 of seeds, a quarter of them each).
  for (const [name, count] of on) assert.ok(count > 950 && count < 1_250, `package ${name} on in ${count}/2000`);
});

Deno.test("swarm: with every package off by probability, a draw still picks one", () => {
  const draw = drawSwarm({ ...space, packageProbability: 0 }, 3);
  assert.equal(draw.packages.length, 1);
});

Deno.test("swarm: a space with no package, an empty knob or a bad interval is refused", () => {
  assert.throws(() => drawSwarm({ ...space, packages: {} }, 1), InputError);
  assert.throws(() => drawSwarm({ ...space, knobs: { mode: [] } }, 1), /knob mode lists no values/);
  assert.throws(() => drawSwarm({ ...space, meanIntervalUs: [800_000, 50_000] }, 1), /0 < low <= high/);
});
