// Proves schedules are data that compile deterministically (sequence, parallel, repeat, random
// mixes), that bad schedules are refused before the run with the entry named, and that the
// nemesis records every start and heal, heals everything at the end, and reports coverage.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { Rng } from "../sim/rng.ts";
import { probeCluster } from "./_probe_cluster.ts";
import { Nemesis } from "./nemesis.ts";
import { compileSchedule } from "./schedule.ts";
import type { Schedule } from "./types.ts";

const crash = (durationUs?: number) => ({ kind: "crash", targets: { nodes: ["n1"] }, durationUs });

Deno.test("sequence, parallel and repeat place faults at the times they describe", () => {
  const schedule: Schedule = {
    faults: [
      {
        at: 1000,
        sequence: [{ fault: crash(500) }, { at: 100, fault: { kind: "pause", durationUs: 200 } }],
        gapUs: 50,
      },
      { at: 5000, parallel: [{ fault: crash(10) }, { fault: { kind: "clock-jump", deltaUs: 5, durationUs: 30 } }] },
      { at: 9000, repeat: { fault: { kind: "restart", targets: "all" } }, times: 3, everyUs: 1000 },
    ],
    recoveryUs: 2000,
  };
  const compiled = compileSchedule(schedule, Rng.fromSeed(1), 5);
  assert.deepEqual(
    compiled.faults.map((f) => [f.fault.kind, f.startUs, f.endUs]),
    [
      ["crash", 1000, 1500],
      ["pause", 1650, 1850],
      ["crash", 5000, 5010],
      ["clock-jump", 5000, 5030],
      ["restart", 9000, 9000],
      ["restart", 10000, 10000],
      ["restart", 11000, 11000],
    ],
  );
  assert.equal(compiled.healAtUs, 11000);
  assert.equal(compiled.endUs, 13000);
});

Deno.test("a random mix is drawn from the seed: same seed, same schedule; another seed, another", () => {
  const schedule: Schedule = {
    faults: [{
      random: {
        meanIntervalUs: 100_000,
        untilUs: 5_000_000,
        choices: [
          { weight: 3, fault: { kind: "isolate", targets: { random: "one" }, durationUs: 50_000 } },
          {
            weight: 1,
            fault: { kind: "clock-offset", targets: { random: "one" }, offsetUs: 1000, durationUs: 10_000 },
          },
        ],
      },
    }],
  };
  const place = (seed: number) =>
    JSON.stringify(compileSchedule(schedule, Rng.fromSeed(seed), 5).faults.map((f) => [f.startUs, f.fault.kind]));
  const first = JSON.parse(place(1));
  assert.ok(first.length > 20 && first.length < 80, `about 50 arrivals expected, got ${first.length}`);
  assert.ok(
    first.some(([, k]: [number, string]) => k === "isolate") &&
      first.some(([, k]: [number, string]) => k === "clock-offset"),
  );
  assert.equal(place(1), place(1));
  assert.notEqual(place(1), place(2));
});

Deno.test("one seed gives one run: a random fault mix replays to the same trace hash", () => {
  const run = (seed: number) => {
    const probe = probeCluster({ seed });
    const nemesis = new Nemesis({
      ...probe,
      schedule: {
        faults: [{
          random: {
            meanIntervalUs: 200_000,
            untilUs: 2_000_000,
            choices: [
              { weight: 1, fault: { kind: "partition-halves", durationUs: 100_000 } },
              { weight: 1, fault: { kind: "crash", targets: { random: "one" }, durationUs: 150_000 } },
              { weight: 1, fault: { kind: "disk-stall", targets: { random: "one" }, durationUs: 50_000 } },
            ],
          },
        }],
        recoveryUs: 500_000,
      },
    });
    probe.sim.run({ untilUs: nemesis.endUs });
    return { hash: probe.sim.hash(), history: JSON.stringify(probe.history.faults()) };
  };
  assert.deepEqual(run(3), run(3));
  assert.notEqual(run(3).hash, run(4).hash);
});

Deno.test("bad schedules are refused before the run, naming the entry and what is allowed", () => {
  const probe = probeCluster();
  const refuse = (schedule: unknown, pattern: RegExp) =>
    assert.throws(
      () => new Nemesis({ ...probe, schedule: schedule as Schedule }),
      (e: Error) => e instanceof InputError && pattern.test(e.message),
      String(pattern),
    );
  refuse(
    { faults: [{ fault: { kind: "meteor" } }] },
    /faults\[0\]\.fault\.kind: unknown fault kind "meteor"; allowed: partition-halves, isolate/,
  );
  refuse(
    { faults: [{ fault: { kind: "crash", targets: { nodes: ["n9"] } } }] },
    /faults\[0\]\.fault\.targets\.nodes\[0\]: no node "n9"; cluster nodes: n0, n1/,
  );
  refuse(
    { faults: [{ fault: { kind: "pause", durationUs: -5 } }] },
    /faults\[0\]\.fault\.durationUs: must be an integer in \[0, inf\], got -5/,
  );
  refuse({ faults: [{ at: -1, fault: { kind: "pause" } }] }, /faults\[0\]\.at: must be a non-negative whole number/);
  refuse({ faults: [{ fault: { kind: "disk-stall" } }] }, /durationUs: required for disk-stall/);
  refuse(
    { faults: [{ fault: { kind: "clock-drift", driftPpm: 5, speed: 2 } }] },
    /unknown field "speed" for clock-drift; allowed: kind, targets, durationUs, driftPpm/,
  );
  refuse(
    { faults: [{ fault: { kind: "isolate", targets: { role: "primary" } } }] },
    /unknown role "primary"; this system reports: leader/,
  );
  refuse({ faults: [], speed: 1 }, /schedule: unknown field "speed"/);
  refuse(
    {
      faults: [{ at: 0, fault: crash(1000) }, {
        at: 500,
        fault: { kind: "pause", targets: { nodes: ["n1"] }, durationUs: 100 },
      }],
    },
    /faults\[1\]: pause at 500 us overlaps faults\[0\] \(crash, 0-1000 us\) on n1: contradictory process faults/,
  );
  // Every problem is listed at once.
  assert.throws(
    () =>
      new Nemesis({ ...probe, schedule: { faults: [{ fault: { kind: "meteor" } }, { fault: { kind: "comet" } }] } }),
    /meteor[\s\S]*comet/,
  );
});

Deno.test("touching faults (one ends as the next begins) are not contradictory", () => {
  const probe = probeCluster();
  const nemesis = new Nemesis({
    ...probe,
    schedule: { faults: [{ sequence: [{ fault: crash(1000) }, { fault: crash(1000) }] }], recoveryUs: 0 },
  });
  assert.equal(nemesis.compiled.faults.length, 2);
});

Deno.test("the nemesis records starts and heals in the history, heals lasting faults at the end, then recovers", () => {
  const probe = probeCluster();
  const nemesis = new Nemesis({
    ...probe,
    schedule: {
      faults: [
        { at: 100_000, fault: { kind: "crash", targets: { nodes: ["n2"] } } }, // lasting: until the final heal
        { at: 200_000, fault: { kind: "isolate", targets: { nodes: ["n0"] }, durationUs: 100_000 } },
      ],
      healAtUs: 500_000,
      recoveryUs: 300_000,
    },
  });
  assert.equal(nemesis.endUs, 800_000);
  probe.sim.run({ untilUs: 450_000 });
  assert.equal(probe.sim.isUp(2), false, "a crash without a duration lasts until the final heal");
  probe.sim.run({ untilUs: nemesis.endUs });
  assert.equal(probe.sim.isUp(2), true);
  const events = probe.history.faults().map((op) => [op.time, op.f, (op.value as { phase?: string })?.phase]);
  assert.deepEqual(events, [
    [100_000, "crash", "start"],
    [200_000, "isolate", "start"],
    [300_000, "isolate", "heal"],
    [500_000, "crash", "heal"],
    [500_000, "heal-all", undefined],
  ]);
  for (const op of probe.history.faults()) assert.equal(op.process, "nemesis");
  assert.ok(probe.received[0][2] > 0 && probe.lastHeardUs[0][2] > 500_000, "n2 talks again after the heal");
});

Deno.test("coverage flags a run whose faults touched nothing as vacuous", () => {
  const probe = probeCluster();
  // A one-way cut from a node to itself's peers while that node is already down: nothing crosses it.
  probe.sim.crash(4);
  const quiet = new Nemesis({
    ...probe,
    schedule: {
      faults: [{
        at: 100_000,
        fault: { kind: "partition-one-way", targets: { nodes: ["n4"] }, to: { nodes: ["n3"] }, durationUs: 100_000 },
      }],
      recoveryUs: 0,
      healAtUs: 300_000,
    },
  });
  probe.sim.run({ untilUs: quiet.endUs });
  const report = quiet.coverage();
  assert.equal(report.faults[0].effects.messagesDropped, 0);
  assert.equal(report.vacuous, true);

  const busy = probeCluster();
  const nemesis = new Nemesis({
    ...busy,
    schedule: {
      faults: [{ at: 100_000, fault: { kind: "isolate", targets: { nodes: ["n1"] }, durationUs: 100_000 } }],
      recoveryUs: 0,
    },
  });
  busy.sim.run({ untilUs: nemesis.endUs });
  const coverage = nemesis.coverage();
  assert.equal(coverage.vacuous, false);
  assert.ok(coverage.faults[0].effects.messagesDropped > 50, JSON.stringify(coverage.faults[0].effects));
});

Deno.test("a fault whose targets clash with an active fault of its class at run time is skipped and recorded", () => {
  const probe = probeCluster();
  const nemesis = new Nemesis({
    ...probe,
    schedule: {
      faults: [
        { at: 100_000, fault: { kind: "crash", targets: { nodes: ["n0"] }, durationUs: 300_000 } },
        { at: 200_000, fault: { kind: "pause", targets: { role: "leader" }, durationUs: 100_000 } },
      ],
      recoveryUs: 0,
    },
  });
  probe.sim.run({ untilUs: nemesis.endUs });
  const [, paused] = nemesis.coverage().faults;
  // n0 is down, so the leader at 200 ms is n1: no clash, it is paused.
  assert.deepEqual(paused.targets, ["n1"]);
  assert.equal(paused.skipped, undefined);
});

Deno.test("each fault draws its random picks from its own stream: adding a fault leaves the others' picks alone", () => {
  const picks = (extra: boolean) => {
    const probe = probeCluster({ seed: 9 });
    const faults: Schedule["faults"] = [
      { at: 100_000, fault: { kind: "crash", targets: { random: "one" }, durationUs: 10_000 } },
      { at: 300_000, fault: { kind: "pause", targets: { random: "minority" }, durationUs: 10_000 } },
    ];
    if (extra) {
      faults.push({
        at: 200_000,
        fault: { kind: "clock-offset", targets: { random: "majority" }, offsetUs: 5, durationUs: 10_000 },
      });
    }
    const nemesis = new Nemesis({ ...probe, schedule: { faults, recoveryUs: 0 } });
    probe.sim.run({ untilUs: nemesis.endUs });
    return nemesis.coverage().faults.filter((f) => f.kind !== "clock-offset").map((f) => f.targets);
  };
  assert.deepEqual(picks(true), picks(false));
});

Deno.test("partition-groups naming one node in two groups is skipped at run time, with the reason recorded", () => {
  const probe = probeCluster();
  const nemesis = new Nemesis({
    ...probe,
    schedule: {
      faults: [{
        at: 100_000,
        fault: { kind: "partition-groups", groups: [{ nodes: ["n0", "n1"] }, { role: "leader" }], durationUs: 10_000 },
      }],
      recoveryUs: 0,
    },
  });
  probe.sim.run({ untilUs: nemesis.endUs });
  assert.equal(nemesis.coverage().faults[0].skipped, "node n0 is in groups 0 and 1");
});

Deno.test("a crash may choose the fate of unsynced writes; an unknown fate is refused listing the allowed ones", () => {
  const probe = probeCluster();
  assert.throws(
    () =>
      new Nemesis({
        ...probe,
        schedule: { faults: [{ fault: { kind: "crash", targets: "all", unsyncedOnCrash: "maybe", durationUs: 5 } }] },
      }),
    /unsyncedOnCrash: must be one of random, lose, keep, torn, got "maybe"/,
  );
  const nemesis = new Nemesis({
    ...probe,
    schedule: {
      faults: [{
        at: 100_000,
        fault: { kind: "crash", targets: { nodes: ["n1"] }, unsyncedOnCrash: "keep", durationUs: 5000 },
      }],
      recoveryUs: 0,
    },
  });
  probe.sim.run({ untilUs: nemesis.endUs });
  assert.equal(nemesis.coverage().faults[0].effects.writesLost ?? 0, 0, "with keep, no unsynced write is lost");
});
