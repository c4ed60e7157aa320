// Proves the Figure 16 and WAN election trials measure what the Raft paper (§9.3) and Ongaro's
// thesis (§9.4) measured: a failover of a settled leader (never a cold start), the paper's worst
// case (ineligible followers, a synchronised broadcast, the crash within the heartbeat interval
// after it), censored and discarded trials counted apart, and a trace hash covering every trial.
// Nothing here asserts the paper's numbers: only the shape and the setup.
import assert from "node:assert/strict";
import { resolveParams } from "../../../params.ts";
import {
  compareWithPublished,
  electionTrial,
  electionTrials,
  figure16Ranges,
  summariseElections,
  wanElectionTrial,
} from "./election.ts";
import { raftElectionExperiment, raftElectionWanExperiment } from "./lab.ts";

Deno.test("figure 16 has the paper's ten ranges, 150-300 shared by both graphs", () => {
  assert.deepEqual(figure16Ranges.map(([a, b]) => `${a}-${b}`), [
    "150-150",
    "150-151",
    "150-155",
    "150-175",
    "150-200",
    "150-300",
    "12-24",
    "25-50",
    "50-100",
    "100-200",
  ]);
});

Deno.test("paper setup: the two lagging followers are ineligible and never win; the downtime is at least the minimum timeout less a heartbeat (§5.4.1, §9.3)", () => {
  for (let seed = 1; seed <= 12; seed++) {
    const trial = electionTrial({ timeoutMs: [150, 300], setup: "paper" }, seed);
    assert.equal(trial.outcome, "measured", `seed ${seed}: ${trial.discardedBecause}`);
    assert.equal(trial.lagging.length, 2);
    assert.ok(trial.laggingIneligible, `seed ${seed}: the lagging followers could have won`);
    assert.ok(!trial.lagging.includes(trial.newLeader!), `seed ${seed}: ${trial.newLeader} lagged yet won`);
    // The followers heard the broadcast at most a heartbeat interval (75 ms) before the crash.
    assert.ok(trial.electedUs! >= 75_000 && trial.downtimeUs! > trial.electedUs!, JSON.stringify(trial));
  }
});

Deno.test("every trial crashes a leader that has held the role; a trial that finds none is discarded, never measured", () => {
  // 12-24 ms with 6-9 ms one way breaks the timing requirement: cold starts churn.
  const { rows } = electionTrials([[12, 24]], 20, 1, { setup: "plain" });
  const discarded = rows.filter((r) => r.outcome === "discarded");
  assert.ok(discarded.every((r) => r.downtimeMs === null && !r.censored));
  const summary = summariseElections(rows.map((r) => r.downtimeMs), 0);
  assert.equal(summary.discarded, discarded.length);
  assert.ok(rows.some((r) => r.outcome === "measured"));
});

Deno.test("without randomness split votes never end within the window; with 150 ms of it a leader follows within a second (§9.3)", () => {
  const { rows } = electionTrials([[150, 150], [150, 300]], 4, 3, { windowUs: 3_000_000 });
  const fixed = rows.filter((r) => r.range === "150-150");
  const random = rows.filter((r) => r.range === "150-300");
  assert.ok(fixed.every((r) => r.censored && r.downtimeMs === 3000), JSON.stringify(fixed));
  assert.ok(random.every((r) => r.outcome === "measured" && r.downtimeMs! > 75 && r.downtimeMs! < 1000));
});

Deno.test("a follower failed with the leader leaves three servers, which still elect one of themselves", () => {
  const trial = electionTrial({ timeoutMs: [150, 300], setup: "plain", failedBesidesLeader: 1 }, 4);
  assert.equal(trial.outcome, "measured");
});

Deno.test("the timer rule changes the trials: figure2 and etcd give different downtimes from the same seeds", () => {
  const downtimes = (timerRule: "figure2" | "etcd") =>
    electionTrials([[150, 200]], 6, 2, { timerRule }).rows.map((r) => r.downtimeMs);
  assert.notDeepEqual(downtimes("figure2"), downtimes("etcd"));
});

Deno.test("raft-election gives median, mean, p99, max, censored and discarded per range and a hash of every trial", () => {
  const params = resolveParams(raftElectionExperiment.params, { trials: 2, graph: "bottom", setup: "paper" });
  const output = raftElectionExperiment.run(params, 1);
  for (const range of ["12-24", "25-50", "50-100", "100-200", "150-300"]) {
    for (const figure of ["medianMs", "meanMs", "p99Ms", "maxMs", "censored", "discarded"]) {
      assert.ok(`${figure} ${range}` in output.figures, `${figure} ${range}`);
    }
  }
  assert.match(output.traceHash, /^[0-9a-f]{16}$/);
  assert.equal(raftElectionExperiment.run(params, 1).traceHash, output.traceHash);
  assert.notEqual(raftElectionExperiment.run(params, 2).traceHash, output.traceHash);
  assert.ok(output.events > 0);
  assert.deepEqual(Object.keys(output.charts ?? {}), ["top", "bottom"]);
});

Deno.test("raft-election refuses a window shorter than 20 s and an inverted latency range", () => {
  assert.throws(() => resolveParams(raftElectionExperiment.params, { windowMs: 5_000 }), /windowMs/);
  const params = resolveParams(raftElectionExperiment.params, { latencyUsMin: 9_000, latencyUsMax: 6_000 });
  assert.throws(() => raftElectionExperiment.run(params, 1), /latencyUsMax \(6000\) must be at least latencyUsMin/);
});

Deno.test("WAN (thesis §9.4): with one and with two of five servers down, the others elect a leader; two down is slower on average", () => {
  const mean = (failed: number) => {
    let total = 0;
    for (let seed = 1; seed <= 15; seed++) {
      const { electedUs } = wanElectionTrial({ failed }, seed);
      assert.ok(electedUs !== undefined && electedUs >= 300_000, `failed ${failed}, seed ${seed}`);
      total += electedUs;
    }
    return total / 15;
  };
  assert.ok(mean(2) > mean(1));
  const output = raftElectionWanExperiment.run(resolveParams(raftElectionWanExperiment.params, { trials: 3 }), 1);
  assert.deepEqual(Object.keys(output.figures).filter((k) => k.startsWith("meanMs")), [
    "meanMs failed=1",
    "meanMs failed=2",
  ]);
  assert.match(output.traceHash, /^[0-9a-f]{16}$/);
});

Deno.test("compareWithPublished pairs each published number with the figure of ours it names, and only those present", () => {
  const rows = compareWithPublished({ "meanMs 12-24": 70, "maxMs 12-24": "n/a" });
  assert.deepEqual(rows.map((r) => [r.figure, r.oursMs, r.ratio]), [["meanMs 12-24", 70, 2], [
    "maxMs 12-24",
    null,
    null,
  ]]);
});
