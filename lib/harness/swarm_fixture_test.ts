// Proves a fixture is read strictly (unknown fields, bad seeds and malformed expectations are
// refused, naming the source) and a draw is checked against its space before anything runs.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { checkDraw, parseFixture } from "./swarm_fixture.ts";
import type { SwarmSpace } from "./swarm.ts";

const space: SwarmSpace = {
  packages: { crashes: { choices: [] }, partitions: { choices: [] } },
  meanIntervalUs: [50_000, 800_000],
  knobs: { servers: [3, 5], mode: ["a", "b"] },
};
const draw = { packages: ["crashes"], meanIntervalUs: 100_000, knobs: { servers: 3, mode: "b" } };

Deno.test("swarm fixture: a draw the space could make passes; each way of leaving the space is named", () => {
  checkDraw(space, draw, "draw");
  assert.throws(() => checkDraw(space, { ...draw, packages: [] }, "draw"), /draw.packages must list at least one/);
  assert.throws(() => checkDraw(space, { ...draw, packages: ["crashes", "crashes"] }, "draw"), /twice/);
  assert.throws(() => checkDraw(space, { ...draw, meanIntervalUs: 10 }, "draw"), /from 50000 to 800000, got 10/);
  assert.throws(() => checkDraw(space, { ...draw, knobs: { servers: 3 } }, "draw"), /draw.knobs.mode must be one of/);
  assert.throws(
    () => checkDraw(space, { ...draw, knobs: { ...draw.knobs, colour: 1 } }, "draw"),
    /unknown knob colour/,
  );
});

Deno.test("swarm fixture: parsing keeps the fields and refuses unknown ones, bad seeds and bad expectations", () => {
  const fixture = { experiment: "x-swarm", seed: 3, params: { bug: "b" }, draw };
  assert.deepEqual(parseFixture(fixture, "f.json"), fixture);
  assert.deepEqual(parseFixture({ ...fixture, params: undefined }, "f.json").params, {});
  assert.throws(() => parseFixture({ ...fixture, sead: 3 }, "f.json"), /f.json: unknown field "sead"/);
  assert.throws(() => parseFixture({ ...fixture, seed: -1 }, "f.json"), InputError);
  assert.throws(() => parseFixture({ ...fixture, expected: { failedChecks: "x" } }, "f.json"), /expected must be/);
  assert.throws(() => parseFixture([], "f.json"), /a fixture is a JSON object/);
});
