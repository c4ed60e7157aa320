// The leaderless store under the harness: strict quorums with blocking read repair stay
// linearizable under partitions, crashes and clock drift; R = W = 1 does not; sloppy quorums keep
// every acknowledged copy and converge; and each planted bug is caught by a check that the correct
// store passes under the same faults.
import assert from "node:assert/strict";
import { kvBugNames } from "../mod.ts";
import { kvModesExperiment } from "./modes.ts";

const run = (params: Record<string, unknown>, seed: number) =>
  kvModesExperiment.run({ durationUs: 3_000_000, ...params } as never, seed);
const failing = (output: ReturnType<typeof run>) => output.checks.filter((c) => c.valid !== true).map((c) => c.checker);

for (const faults of ["partitions", "crashes", "mixed"]) {
  Deno.test(`kv: quorum: strict quorums (R = W = 2 of 3) with blocking read repair pass every check under ${faults} (seeds 1-2)`, () => {
    for (const seed of [1, 2]) {
      const output = run({ faults, sloppyQuorum: false }, seed);
      assert.deepEqual(failing(output), [], `seed ${seed}: ${JSON.stringify(output.checks)}`);
      assert.ok(output.checks.some((c) => c.checker === "linearizability (kv)"), "linearizability is checked");
      assert.equal(output.coverage?.vacuous, false, `seed ${seed}: no fault touched the store`);
    }
  });
}

Deno.test("kv: quorum: histories hold acknowledged deletes, and linearizability judges each as a write of the absent value", () => {
  const output = run({ faults: "partitions", sloppyQuorum: false }, 1);
  const deletes = output.history.events.filter((op) => op.f === "delete" && op.type === "ok");
  assert.ok(deletes.length > 10, `${deletes.length} acknowledged deletes`);
  assert.equal(output.checks.find((c) => c.checker === "linearizability (kv)")?.valid, true);
  const none = run({ faults: "partitions", sloppyQuorum: false, deleteFraction: 0 }, 1);
  assert.equal(none.history.events.filter((op) => op.f === "delete").length, 0);
});

for (const mode of ["linearizable", "lease"]) {
  Deno.test(`kv: ${mode}: the CP mode replicates through Raft and passes Raft's invariants and linearizability under mixed faults`, () => {
    const output = run({ mode, faults: "mixed" }, 1);
    assert.deepEqual(failing(output), [], JSON.stringify(output.checks));
    for (const name of ["election-safety", "state-machine-safety", "linearizability (kv)"]) {
      assert.ok(output.checks.some((c) => c.checker === name), `${name} is checked`);
    }
  });
}

Deno.test("kv: a planted bug of the leaderless nodes is refused in a CP mode, naming the modes it belongs to", () => {
  assert.throws(
    () => run({ mode: "linearizable", bug: "hintsDropOnRestart" }, 1),
    /quorum, one or session, or bug none/,
  );
});

Deno.test("kv: one: R = W = 1 under partitions keeps its promises, answers everything, and the linearizability checker finds stale reads", () => {
  for (const seed of [1, 2]) {
    const output = run({ faults: "partitions", mode: "one" }, seed);
    assert.deepEqual(failing(output), [], `seed ${seed}: ${JSON.stringify(output.checks)}`);
    assert.equal(output.figures.linearizable, "false", `seed ${seed}: measured linearizability`);
    assert.equal(output.figures.availability, 1, "a one-replica store stays available");
  }
});

Deno.test("kv: linearizability is a check only where the settings promise it", () => {
  const names = (params: Record<string, unknown>) =>
    run({ faults: "none", durationUs: 500_000, ...params }, 1).checks.map((c) => c.checker);
  assert.ok(names({ sloppyQuorum: false }).includes("linearizability (kv)"));
  for (
    const weaker of [{ sloppyQuorum: true }, { sloppyQuorum: false, mode: "one" }, {
      sloppyQuorum: false,
      readRepair: "async",
    }, { sloppyQuorum: false, r: 1, w: 3 }]
  ) {
    assert.ok(!names(weaker).includes("linearizability (kv)"), JSON.stringify(weaker));
  }
});

Deno.test("kv: quorum: sloppy quorums keep every acknowledged copy, lose no session's write and converge after the heal", () => {
  for (const seed of [2, 3]) {
    const output = run({ faults: "partitions" }, seed);
    for (const name of ["acknowledged-copies", "lost-session-writes", "liveness"]) {
      assert.equal(output.checks.find((c) => c.checker === name)?.valid, true, `seed ${seed}: ${name}`);
    }
    assert.equal(output.figures.hintsPendingFinal, 0, "every hint was handed off");
  }
});

/** Each planted bug, the faults and settings that expose it, and the check that must catch it. */
const bugMatrix = {
  lwwWallClock: { params: { faults: "clocks", sloppyQuorum: false }, caughtBy: "linearizability (kv)" },
  coordinatorCountsSelfTwice: {
    params: { faults: "partitions", sloppyQuorum: false },
    caughtBy: "linearizability (kv)",
  },
  hintsDropOnRestart: { params: { faults: "partitions" }, caughtBy: "acknowledged-copies" },
  readRepairOverwritesNewer: { params: { faults: "partitions", sloppyQuorum: false }, caughtBy: "acknowledged-copies" },
  // Many keys and deletes, small memtables: a tombstone stays its key's newest state until a flush
  // collects it, within the 300 ms a crashed replica is away.
  tombstonesBeforeSeen: {
    params: { faults: "crashes", sloppyQuorum: false, keys: 256, deleteFraction: 0.3, memtableBytesMax: 1024 },
    caughtBy: "no-resurrected-deletes",
  },
} as const;

Deno.test("kv: every planted bug is in the matrix", () => {
  assert.deepEqual(Object.keys(bugMatrix).sort(), [...kvBugNames].sort());
});

for (const [bug, { params, caughtBy }] of Object.entries(bugMatrix)) {
  Deno.test(`kv: planted bug ${bug}: caught by ${caughtBy}; the correct store passes under the same faults`, () => {
    const correct = run({ ...params }, 1);
    assert.deepEqual(failing(correct), [], JSON.stringify(correct.checks));
    const buggy = run({ ...params, bug }, 1);
    assert.ok(failing(buggy).includes(caughtBy), `${bug}: ${JSON.stringify(buggy.checks)}`);
  });
}

// Clients that add elements to sets (read-modify-write) under partitions: concurrent adds meet.
const sets = { faults: "partitions", puts: "add", deleteFraction: 0, keys: 8, durationUs: 2_000_000 };

Deno.test("kv: siblings: under partitions, last-writer-wins loses concurrent acknowledged elements; merge and keep lose none", () => {
  const lww = run({ ...sets, siblings: "lww" }, 1);
  assert.ok(Number(lww.figures.elementsLost) > 0, `lww lost ${lww.figures.elementsLost}`);
  assert.ok(!lww.checks.some((c) => c.checker === "acknowledged-elements"), "lww does not promise it");
  for (const siblings of ["merge", "keep"]) {
    for (const seed of siblings === "merge" ? [1, 2] : [1]) {
      const output = run({ ...sets, siblings }, seed);
      assert.deepEqual(failing(output), [], `${siblings} seed ${seed}: ${JSON.stringify(output.checks)}`);
      assert.ok(output.checks.some((c) => c.checker === "acknowledged-elements"), "the elements are judged");
      assert.equal(output.figures.elementsLost, 0);
      assert.ok(Number(output.figures.writeConflictRate) > 0, `${siblings}: concurrent writes met`);
    }
  }
});

Deno.test("kv: siblings: keep returns concurrent siblings to the client, and the conflict rate counts the reads that met them", () => {
  const output = run({ faults: "partitions", siblings: "keep", deleteFraction: 0, keys: 4 }, 1);
  const exposed = output.history.events.filter((op) =>
    op.f === "get" && op.type === "ok" && String(op.value).includes("|")
  );
  assert.ok(exposed.length > 0, "some read returned more than one sibling");
  assert.ok(Number(output.figures.readConflictRate) > 0 && Number(output.figures.readConflictRate) < 1);
  const lww = run({ faults: "partitions", deleteFraction: 0, keys: 4 }, 1);
  assert.equal(lww.history.events.filter((op) => op.f === "get" && String(op.value).includes("|")).length, 0);
});

Deno.test("kv: siblings and set puts are refused in the CP modes, naming the modes that have siblings", () => {
  assert.throws(() => run({ mode: "linearizable", siblings: "merge" }, 1), /quorum, one or session/);
});

Deno.test("kv: anti-entropy alone (no read repair) converges the replicas after partitions and crashes, exchanging few keys", () => {
  for (const faults of ["partitions", "crashes"]) {
    const output = run({ faults, readRepair: "off", keys: 64 }, 1);
    assert.equal(output.checks.find((c) => c.checker === "liveness")?.valid, true, `${faults}: converged`);
    assert.equal(output.figures.readRepairs, 0);
    const exchanged = Number(output.figures.antiEntropyKeysExchanged);
    const messages = Number(output.figures.antiEntropyMessages);
    assert.ok(exchanged > 0 && Number(output.figures.antiEntropyBytes) > 0, `${faults}: anti-entropy repaired`);
    // A whole-bucket exchange would send every shared key at each differing round.
    assert.ok(exchanged < messages * 64, `${faults}: ${exchanged} keys over ${messages} messages`);
  }
});

Deno.test("kv: every mode reports latency percentiles, availability during and outside faults, staleness depth, conflicts and repair traffic", () => {
  const base = ["availabilityDuringFaults", "availabilityOutsideFaults", "getLatencyUsP999", "putLatencyUsP999"];
  const staleness = ["versionsBehindMean", "versionsBehindMax", "stalenessUsP50", "stalenessUsMax"];
  const store = ["readConflictRate", "writeConflictRate", "readRepairs", "hintsStored", "hintsDelivered"];
  const traffic = ["antiEntropyBytes", "antiEntropyMessages", "antiEntropyKeysExchanged"];
  for (const mode of ["quorum", "one", "linearizable"]) {
    const output = run({ mode, faults: "partitions" }, 1);
    const f = output.figures;
    const names = [...base, ...staleness, ...(mode === "linearizable" ? [] : [...store, ...traffic])];
    for (const name of names) assert.equal(typeof f[name], "number", `${mode}: ${name} = ${f[name]}`);
    for (const name of ["availabilityDuringFaults", "availabilityOutsideFaults"]) {
      assert.ok(Number(f[name]) > 0 && Number(f[name]) <= 1, `${mode}: ${name} ${f[name]}`);
    }
    assert.ok(Number(f.versionsBehindMax) >= Number(f.versionsBehindMean) && Number(f.versionsBehindMean) >= 0);
    const rows = output.tables.latency;
    assert.deepEqual(rows.map((r) => r.f), ["delete", "get", "put"], mode);
    for (const r of rows) {
      const [p50, p99, p999, max] = [r.p50Us, r.p99Us, r.p999Us, r.maxUs].map(Number);
      assert.ok(p50 <= p99 && p99 <= p999 && p999 <= max, JSON.stringify(r));
    }
    if (mode === "one") {
      assert.ok(Number(f.versionsBehindMax) >= 1, "R = W = 1 under partitions reads stale values");
      assert.ok(Number(f.antiEntropyBytes) > 0);
    }
  }
});
