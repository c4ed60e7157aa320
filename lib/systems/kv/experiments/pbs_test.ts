// Proves `kv-pbs` reports every figure it promises for every profile and R, W, that the real store
// behaves as the WARS model with the coordinator on a replica (the one structural difference from
// the paper's model), that strict quorums on the store never read stale, and that bad parameters
// are refused by name.
import assert from "node:assert/strict";
import { InputError } from "../../../assert.ts";
import { Rng } from "../../../sim/mod.ts";
import { kvExperiments } from "./mod.ts";
import { kvPbsExperiment, pbsTGridMs } from "./pbs.ts";
import { runPbsStore } from "./pbs_store.ts";
import { drawWarsTrials, pbsProfileNames, pbsProfiles, warsResult } from "./wars.ts";

Deno.test("kv-pbs: is registered, and names every figure for every profile and R, W", () => {
  assert.ok(kvExperiments.some((e) => e.name === "kv-pbs"));
  const output = kvPbsExperiment.run({ trials: 2_000, storeTrials: 10, tGridPoints: 4 }, 1);
  for (const profile of pbsProfileNames) {
    for (let r = 1; r <= 3; r++) {
      for (let w = 1; w <= 3; w++) {
        const at = `${profile} R${r}W${w}`;
        for (
          const name of [
            `consistentAt0 ${at}`,
            `tVisibility999Ms ${at}`,
            `readLatencyP999Ms ${at}`,
            `writeLatencyP999Ms ${at}`,
            `replica consistentAt0 ${at}`,
            `store consistentAt0 ${at}`,
            `store readLatencyP999Ms ${at}`,
            `store writeLatencyP999Ms ${at}`,
          ]
        ) {
          const value = output.figures[name];
          assert.ok(typeof value === "number" && value >= 0, `${name}: ${value}`);
        }
        const consistent = output.figures[`consistentAt0 ${at}`] as number;
        assert.ok(consistent <= 1);
        if (r + w > 3) assert.equal(output.figures[`store consistentAt0 ${at}`], 1, `${at} on the store`);
      }
    }
  }
  for (const k of [1, 2, 3, 5, 10]) {
    assert.equal(typeof output.figures[`kStaleness closedForm R1W1 k${k}`], "number");
    assert.equal(typeof output.figures[`kStaleness monteCarlo R1W1 k${k}`], "number");
  }
  assert.equal(output.tables.paper.length, 36);
  assert.match(output.traceHash, /^[0-9a-f]{16}$/);
});

Deno.test("kv-pbs: the same seed gives the same figures", () => {
  const run = () => kvPbsExperiment.run({ profile: "YMMR", trials: 1_000, storeTrials: 10, tGridPoints: 3 }, 5);
  const [a, b] = [run(), run()];
  assert.deepEqual(a.figures, b.figures);
  assert.equal(a.traceHash, b.traceHash);
});

Deno.test("kv-pbs: the store's R = W = 1 curve agrees with the model of a coordinator on a replica, within sampling error", () => {
  const grid = [0, 0.5, 2];
  const trials = 300;
  const store = runPbsStore({ profile: pbsProfiles["LNKD-SSD"], r: 1, w: 1, trials, tGridMs: grid, seed: 2 });
  const model = warsResult(
    drawWarsTrials({
      profile: pbsProfiles["LNKD-SSD"],
      n: 3,
      trials: 50_000,
      rng: Rng.fromSeed(2),
      coordinator: "replica",
    }),
    { r: 1, w: 1 },
  );
  grid.forEach((tMs, j) => {
    const expected = model.consistentAt(tMs);
    const se = Math.sqrt(Math.max(expected * (1 - expected), 0.01) / trials);
    assert.ok(
      Math.abs(store.consistentAt[j] - expected) <= 4 * se,
      `t ${tMs}: store ${store.consistentAt[j]}, model ${expected}`,
    );
  });
  assert.ok(store.consistentAt[0] < 0.5, "a read at once sees the write only on the write's own coordinator");
});

Deno.test("kv-pbs: the t grid starts at 0 and ends at its maximum", () => {
  assert.deepEqual(pbsTGridMs(2, 50), [0, 50]);
  const grid = pbsTGridMs(5, 1000);
  assert.deepEqual([grid[0], grid[1], grid[4]], [0, 0.1, 1000]);
  assert.ok(grid.every((t, i) => i === 0 || t > grid[i - 1]));
});

Deno.test("kv-pbs: bad parameters are refused naming the parameter and what is allowed", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ profile: "LNKD" }, /profile must be one of all, LNKD-SSD, LNKD-DISK, YMMR, WAN/],
    [{ trials: 10 }, /trials must be in \[1000, 10000000\]/],
    [{ storeTrials: 0 }, /storeTrials must be in/],
    [{ tGridPoints: 1 }, /tGridPoints must be in \[2, 64\]/],
    [{ tGridMsMax: 0 }, /tGridMsMax must be in/],
    [{ seeds: 3 }, /unknown parameter "seeds"/],
  ];
  for (const [params, message] of cases) {
    assert.throws(
      () => kvPbsExperiment.run(params as never, 1),
      (e: Error) => e instanceof InputError && message.test(e.message),
      JSON.stringify(params),
    );
  }
});
