// Proves the WARS Monte Carlo keeps the paper's promises (§3.1, §4.1): strict quorums are always
// consistent, partial ones become consistent as t grows, sampling agrees with the k-staleness
// closed form, and the same seed gives the same numbers.
import assert from "node:assert/strict";
import { InputError } from "../../../assert.ts";
import { Rng } from "../../../sim/mod.ts";
import {
  binomial,
  drawWarsTrials,
  kStalenessClosedForm,
  kStalenessMonteCarlo,
  pbsProfileNames,
  pbsProfiles,
  warsResult,
  warsResults,
} from "./wars.ts";

const trials = 20_000;
const draw = (profile: keyof typeof pbsProfiles, seed = 1, coordinator: "apart" | "replica" = "apart") =>
  drawWarsTrials({ profile: pbsProfiles[profile], n: 3, trials, rng: Rng.fromSeed(seed), coordinator });

Deno.test("wars: R + W > N is consistent at t = 0 in every trial, under every profile (§4.1: 'this is impossible')", () => {
  for (const profile of pbsProfileNames) {
    for (const result of warsResults(draw(profile))) {
      if (result.r + result.w <= 3) continue;
      assert.equal(result.consistentAt(0), 1, `${profile} R${result.r}W${result.w}`);
      assert.equal(result.tVisibilityMs(0.999), 0);
      assert.ok(result.thresholdMs[trials - 1] < 0, "every trial was consistent before t = 0");
    }
  }
});

Deno.test("wars: R = W = 1 is below 1 at t = 0 and rises with t to 1", () => {
  for (const profile of pbsProfileNames) {
    const result = warsResult(draw(profile), { r: 1, w: 1 });
    const curve = [0, 1, 10, 100, 10_000].map((t) => result.consistentAt(t));
    assert.ok(curve[0] < 0.99, `${profile}: ${curve[0]} at t = 0`);
    for (let i = 1; i < curve.length; i++) assert.ok(curve[i] >= curve[i - 1], `${profile}: ${curve}`);
    assert.ok(curve[4] > 0.9999, `${profile}: ${curve[4]} after 10 s`);
    const t999 = result.tVisibilityMs(0.999);
    assert.ok(result.consistentAt(t999) >= 0.999 && result.consistentAt(t999 * 0.99) < 0.999, `${profile}: ${t999}`);
  }
});

Deno.test("wars: WAN with R = W = 1 is consistent at t = 0 about when the read and write start in one datacenter (1/3)", () => {
  const result = warsResult(draw("WAN"), { r: 1, w: 1 });
  assert.ok(Math.abs(result.consistentAt(0) - 1 / 3) < 0.02, `${result.consistentAt(0)}`);
  assert.ok(result.consistentAt(140) > 0.99, "every remote write has arrived after two 75 ms hops");
});

Deno.test("wars: a coordinator on a replica reads its own copy at once: R = W = 1 is consistent at t = 0 only when both coordinators are one replica", () => {
  const result = warsResult(draw("LNKD-SSD", 1, "replica"), { r: 1, w: 1 });
  assert.ok(Math.abs(result.consistentAt(0) - 1 / 3) < 0.02, `${result.consistentAt(0)}`);
  assert.equal(result.readLatencyMs[trials - 1], 0, "R = 1 answers from the local copy");
  assert.equal(result.writeLatencyMs[trials - 1], 0, "W = 1 commits on the local copy");
});

Deno.test("wars: latencies are order statistics: more replicas to wait for never makes an operation faster", () => {
  const results = warsResults(draw("YMMR"));
  const p999 = (values: Float64Array) => values[Math.ceil(0.999 * trials) - 1];
  for (const w of [1, 2]) {
    assert.ok(p999(results[w].writeLatencyMs) > p999(results[w - 1].writeLatencyMs), `W ${w + 1} vs ${w}`);
  }
  for (const r of [1, 2]) {
    assert.ok(p999(results[r * 3].readLatencyMs) > p999(results[(r - 1) * 3].readLatencyMs), `R ${r + 1} vs ${r}`);
  }
});

Deno.test("wars: the same seed gives the same thresholds; another seed does not", () => {
  const a = warsResult(draw("LNKD-DISK", 7), { r: 1, w: 2 });
  const b = warsResult(draw("LNKD-DISK", 7), { r: 1, w: 2 });
  const c = warsResult(draw("LNKD-DISK", 8), { r: 1, w: 2 });
  assert.deepEqual(a.thresholdMs, b.thresholdMs);
  assert.notDeepEqual(a.thresholdMs, c.thresholdMs);
});

Deno.test("k-staleness: the closed form gives the paper's worked examples (§3.1)", () => {
  assert.equal(binomial(3, 1), 3);
  assert.equal(binomial(2, 2), 1);
  assert.equal(binomial(1, 2), 0);
  // "N = 3, R = W = 1 ... within 2 versions is 0.5̄, within 3 versions 0.7̄03"
  assert.ok(Math.abs(1 - kStalenessClosedForm({ n: 3, r: 1, w: 1, k: 2 }) - 5 / 9) < 1e-12);
  assert.ok(Math.abs(1 - kStalenessClosedForm({ n: 3, r: 1, w: 1, k: 3 }) - 19 / 27) < 1e-12);
  assert.ok(Math.abs(1 - kStalenessClosedForm({ n: 3, r: 1, w: 2, k: 1 }) - 2 / 3) < 1e-12);
  assert.equal(kStalenessClosedForm({ n: 3, r: 2, w: 2, k: 1 }), 0);
});

Deno.test("k-staleness: sampling random quorums agrees with the closed form within four standard errors", () => {
  const rng = Rng.fromSeed(3);
  for (const [r, w] of [[1, 1], [1, 2], [2, 1], [2, 2]]) {
    for (const k of [1, 2, 5]) {
      const expected = kStalenessClosedForm({ n: 3, r, w, k });
      const sampled = kStalenessMonteCarlo({ n: 3, r, w, k, trials, rng });
      const se = Math.sqrt(Math.max(expected * (1 - expected), 1e-9) / trials);
      assert.ok(Math.abs(sampled - expected) <= 4 * se, `R${r}W${w} k${k}: ${sampled} vs ${expected}`);
    }
  }
});

Deno.test("wars: bad sizes are refused naming what is allowed", () => {
  const rng = Rng.fromSeed(1);
  const profile = pbsProfiles["LNKD-SSD"];
  assert.throws(
    () => drawWarsTrials({ profile, n: 0, trials: 10, rng }),
    (e: Error) => e instanceof InputError && /n must be a whole number of replicas from 1 to 16, got 0/.test(e.message),
  );
  assert.throws(
    () => drawWarsTrials({ profile, n: 3, trials: 0.5, rng }),
    (e: Error) => e instanceof InputError && /trials must be/.test(e.message),
  );
  assert.throws(
    () => warsResult(drawWarsTrials({ profile, n: 3, trials: 10, rng }), { r: 4, w: 1 }),
    (e: Error) => e instanceof InputError && /r must be a whole number from 1 to n \(3\), got 4/.test(e.message),
  );
  assert.throws(() => kStalenessMonteCarlo({ n: 3, r: 1, w: 1, k: 0, trials: 10, rng }), InputError);
});
