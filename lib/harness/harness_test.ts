// Proves the harness's contract on a one-server register written in this file: a run goes
// through warm-up, faults, heal, a bounded recovery and final reads; a liveness failure is told
// apart from a safety failure; an invariant violation names the seed, the time and what broke;
// faults inside the warm-up are refused; typed parameters refuse bad input; and the standard
// figures count what the history holds.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { register } from "../check/mod.ts";
import type { Schedule } from "../faults/mod.ts";
import type { NodeApi, NodeLogic } from "../sim/mod.ts";
import {
  choice,
  defineExperiment,
  defineParams,
  finalReads,
  type Generator,
  integer,
  linearizable,
  lostWrites,
  paramGroups,
  type Phases,
  runSystem,
  standardFigures,
  type SystemDefinition,
  type Workload,
} from "./mod.ts";

type Message =
  | { type: "get" | "put"; id: number; value: string | null }
  | { type: "reply"; id: number; value: string | null };

interface Options {
  /** After a restart the server answers nothing: no recovery. */
  mute: boolean;
  /** The register's "invariant" breaks once it holds this many writes (a planted violation). */
  writesMax: number;
  /** From this instant on the system reports itself unconverged (a leader lost after the heal). */
  divergeAtUs?: number;
}

/** One server holding one register in memory; a restart (with `mute`) leaves it silent. */
function server(api: NodeApi<Message>, options: Options, state: { writes: number; value: string | null }) {
  const logic: NodeLogic<Message> = {
    onMessage(from, message) {
      if (message.type === "reply") return;
      if (options.mute && api.incarnation > 1) return;
      if (message.type === "put") {
        state.value = message.value;
        state.writes++;
      }
      api.send(from, { type: "reply", id: message.id, value: state.value });
    },
  };
  return logic;
}

const toy: SystemDefinition<Message, Options> = {
  name: "toy",
  bugs: {},
  build(sim, options) {
    const state = { writes: 0, value: null as string | null };
    const node = sim.addNode<Message>({ name: "s0", create: (api) => server(api, options, state) });
    return {
      servers: [node],
      roles: { primary: () => [node] },
      converged: () => options.divergeAtUs === undefined || sim.nowUs < options.divergeAtUs,
      invariants: [{
        name: "writes-bounded",
        check: () => (state.writes > options.writesMax ? `s0 holds ${state.writes} writes` : undefined),
      }],
    };
  },
  client(context, cluster) {
    let current: { id: number; done: (o: { type: "ok"; value: unknown } | { type: "info" }) => void } | undefined;
    let id = 0;
    return {
      perform(request, done) {
        current = { id: ++id, done };
        const type = request.f === "write" ? "put" : "get";
        context.send(cluster.servers[0], { type, id, value: type === "put" ? String(request.value) : null });
        context.setTimer(50_000, id);
      },
      onMessage(_from, message) {
        if (message.type !== "reply" || current?.id !== message.id) return;
        const done = current.done;
        current = undefined;
        done({ type: "ok", value: message.value });
      },
      onTimer(tag) {
        if (current === undefined || current.id !== tag) return;
        const done = current.done;
        current = undefined;
        done({ type: "info" });
      },
    };
  },
};

const writesAndReads: Generator = {
  next: (rng, { process, sequence }) =>
    rng.next() < 0.5 ? { f: "read", value: null } : { f: "write", value: `${process}:${sequence}` },
};

const workload: Workload = {
  processes: 3,
  thinkTimeUsMean: 2_000,
  generator: writesAndReads,
  final: [{ f: "read", value: null }],
  checkers: [linearizable("linearizability (register)", register)],
};

const crashAt = (atUs: number): Schedule => ({
  faults: [{ at: atUs, fault: { kind: "crash", targets: { role: "primary" }, durationUs: 100_000 } }],
  recoveryUs: 0,
});

const phases: Phases = { warmupUs: 100_000, durationUs: 1_000_000, recoveryBoundUs: 300_000 };

function run(options: Partial<Options>, schedule: Schedule, seed = 1, given: Partial<Phases> = {}) {
  return runSystem({
    system: toy,
    options: { mute: false, writesMax: Infinity, ...options },
    workload,
    schedule,
    phases: { ...phases, ...given },
    seed,
  });
}

const verdicts = (r: ReturnType<typeof run>) => Object.fromEntries(r.checks.map((c) => [c.checker, c.valid]));

Deno.test("harness: a crash healed inside the bound passes every check and recovery is measured from the heal", () => {
  const result = run({}, crashAt(400_000));
  assert.deepEqual(verdicts(result), {
    "writes-bounded": true,
    liveness: true,
    "linearizability (register)": true,
  });
  assert.equal(result.healUs, 500_000);
  assert.ok(result.recoveredUs! >= 500_000 && result.recoveredUs! < 520_000, `${result.recoveredUs}`);
  assert.equal(result.finalValues?.size, 1, "the final read saw the register");
});

Deno.test("harness: a server silent after its restart fails liveness, not safety", () => {
  const result = run({ mute: true }, crashAt(400_000));
  const byName = verdicts(result);
  assert.equal(byName.liveness, false);
  assert.equal(byName["linearizability (register)"], true);
  assert.match(result.checks.find((c) => c.checker === "liveness")!.message, /within 300000 us of the heal at 500000/);
});

Deno.test("harness: a heal at the very end extends the run until the system recovers, within the bound", () => {
  const result = run({}, crashAt(950_000));
  assert.equal(verdicts(result).liveness, true);
  assert.ok(result.endUs > 1_000_000 && result.endUs <= 1_050_000 + 300_000, `ended at ${result.endUs}`);
});

Deno.test("harness: a system that recovers after the heal and then stays unconverged past the bound fails liveness", () => {
  // Recovered at the heal (500 ms), then unconverged from 600 ms to the end: a leader lost for good.
  const result = run({ divergeAtUs: 600_000 }, crashAt(400_000));
  assert.equal(verdicts(result).liveness, false);
  assert.equal(verdicts(result)["linearizability (register)"], true);
  assert.match(
    result.checks.find((c) => c.checker === "liveness")!.message,
    /then lost convergence at 60\d{4} us and had not regained it/,
  );
});

Deno.test("harness: convergence lost near the end extends the run until the bound has passed", () => {
  const result = run({ divergeAtUs: 950_000 }, crashAt(400_000));
  assert.equal(verdicts(result).liveness, false);
  assert.ok(result.endUs > 950_000 + 300_000, `ended at ${result.endUs}`);
});

Deno.test("harness: an invariant violation names the seed, the time and what broke", () => {
  const result = run({ writesMax: 20 }, { faults: [], recoveryUs: 0 }, 7);
  const check = result.checks.find((c) => c.checker === "writes-bounded")!;
  assert.equal(check.valid, false);
  assert.match(check.message, /^seed 7: broken at \d+ us: s0 holds 2\d writes$/);
  assert.equal(result.violations.length, 1, "each invariant reports its first violation once");
});

Deno.test("harness: a fault inside the warm-up is refused before the run, naming the fault", () => {
  assert.throws(
    () => run({}, crashAt(50_000)),
    (e: Error) =>
      e instanceof InputError && /faults\[0\]: crash starts at 50000 us, inside the warm-up/.test(e.message),
  );
});

Deno.test("harness: the same seed gives the same run to the byte; another seed another run", () => {
  const a = run({}, crashAt(400_000), 3);
  const b = run({}, crashAt(400_000), 3);
  const c = run({}, crashAt(400_000), 4);
  assert.equal(a.sim.hash(), b.sim.hash());
  assert.notEqual(a.sim.hash(), c.sim.hash());
});

Deno.test("harness: standard figures count the history: availability, per-kind latency, RTO, faults touched", () => {
  const result = run({}, crashAt(400_000));
  const figures = standardFigures(result);
  const counts = result.sim.history.counts;
  assert.equal(figures.operationsOk, counts.ok);
  assert.equal(figures.availability, counts.ok / (counts.ok + counts.fail + counts.info));
  assert.ok((figures.readLatencyUsP50 as number) > 0 && (figures.writeLatencyUsP50 as number) > 0);
  assert.ok((figures.rtoUsMax as number) >= 100_000, `RTO ${figures.rtoUsMax}`);
  assert.equal(figures.faultsTouched, 1);
  assert.equal(figures.vacuous, false);
});

Deno.test("harness: lost writes are judged only on keys whose final state is known", () => {
  const checker = lostWrites("final");
  const events = [
    { process: 1, type: "invoke" as const, f: "write", key: "a", value: "x", time: 0 },
    { process: 1, type: "ok" as const, f: "write", key: "a", value: "x", time: 1 },
  ];
  const elements = (v: unknown) => [v];
  assert.equal(
    checker.check({ events, finalValues: new Map([["a", "x"]]), durableValues: undefined, elements }).valid,
    true,
  );
  assert.equal(
    checker.check({ events, finalValues: new Map([["a", "y"]]), durableValues: undefined, elements }).valid,
    false,
  );
  assert.equal(checker.check({ events, finalValues: new Map(), durableValues: undefined, elements }).valid, "unknown");
});

Deno.test("harness: lost writes compare whole elements, so an append is not found inside a longer one", () => {
  const checker = lostWrites("final");
  const events = [
    { process: 5, type: "invoke" as const, f: "append", key: "a", value: "5:12;", time: 0 },
    { process: 5, type: "ok" as const, f: "append", key: "a", value: "5:12;", time: 1 },
  ];
  // The final value holds 15:12; and 5:120;, each of which has 5:12; inside it as text.
  const elements = (v: unknown) => String(v).split(";").filter((part) => part !== "").map((part) => `${part};`);
  const finalValues = new Map([["a", "15:12;5:120;"]]);
  const result = checker.check({ events, finalValues, durableValues: undefined, elements });
  assert.equal(result.valid, false);
  assert.match(result.message, /1 of 1 acknowledged writes are missing/);
});

Deno.test("harness: lost writes leave out a write acknowledged after the final read of its key began", () => {
  const checker = lostWrites("final");
  const final = 900_000_000;
  const events = [
    { process: 1, type: "invoke" as const, f: "append", key: "a", value: "1:0;", time: 0 },
    { process: 1, type: "ok" as const, f: "append", key: "a", value: "1:0;", time: 5 },
    // In flight when the final read began, acknowledged after it: the read may be ordered first.
    { process: 2, type: "invoke" as const, f: "append", key: "a", value: "2:0;", time: 8 },
    { process: final, type: "invoke" as const, f: "get", key: "a", value: null, time: 10 },
    { process: final, type: "ok" as const, f: "get", key: "a", value: "1:0;", time: 20 },
    { process: 2, type: "ok" as const, f: "append", key: "a", value: "2:0;", time: 21 },
  ];
  const elements = (v: unknown) => String(v).split(";").filter((part) => part !== "").map((part) => `${part};`);
  const raced = checker.check({ events, finalValues: new Map([["a", "1:0;"]]), durableValues: undefined, elements });
  assert.equal(raced.valid, "unknown", raced.message);
  assert.match(raced.message, /all 1 acknowledged writes are present; 1 acknowledged after the final read/);
  // Acknowledged before the final read began, the same absence is a loss.
  const before = events.map((op) => op.process === 2 && op.type === "ok" ? { ...op, time: 9 } : op);
  const lost = checker.check({
    events: before,
    finalValues: new Map([["a", "1:0;"]]),
    durableValues: undefined,
    elements,
  });
  assert.equal(lost.valid, false);
  assert.match(lost.message, /1 of 2 acknowledged writes are missing \(first: "2:0;"\)/);
});

Deno.test("harness: the final reads begin only once every client operation in flight has completed", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const result = run({}, crashAt(400_000), seed);
    const events = result.sim.history.events;
    const finalStart = events.findIndex((op) => op.process === 900_000_000);
    assert.ok(finalStart > 0, `seed ${seed}: no final read`);
    const late = events.slice(finalStart).filter((op) => op.process !== 900_000_000 && op.process !== "nemesis");
    assert.deepEqual(late, [], `seed ${seed}: client operations after the final read began`);
    assert.ok(events[finalStart].time >= result.endUs);
  }
});

Deno.test("typed parameters: defaults, string input from a command line, and clear refusals", () => {
  const params = defineParams({
    ...paramGroups.cluster({ default: 3, max: 9 }),
    mode: choice(["fast", "safe"], { default: "safe", description: "how to run" }),
    rounds: integer({ default: 2, min: 1, max: 5, description: "rounds" }),
  });
  const values = params.resolve({ servers: "5", mode: "fast" });
  assert.deepEqual(values, { servers: 5, mode: "fast", rounds: 2 });
  assert.throws(() => params.resolve({ server: 3 }), /unknown parameter "server"; allowed: servers, mode, rounds/);
  assert.throws(() => params.resolve({ mode: "slow" }), /mode must be one of fast, safe; got "slow"/);
  assert.throws(() => params.resolve({ rounds: 9 }), /rounds must be in \[1, 5\], got 9/);
  assert.throws(() => choice(["a"], { default: "b" as "a", description: "x" }), /default b is not among/);
});

Deno.test("defineExperiment: a declaration runs on the harness and gives the lab's output", () => {
  const experiment = defineExperiment({
    name: "toy",
    description: "one register",
    params: defineParams({ durationUs: integer({ default: 600_000, min: 200_000, description: "run time" }) }),
    system: toy,
    options: () => ({ mute: false, writesMax: Infinity }),
    workload: () => ({ ...workload, final: finalReads(1).map((r) => ({ ...r, f: "read", key: undefined })) }),
    schedule: () => crashAt(300_000),
    phases: (p) => ({ warmupUs: 100_000, durationUs: p.durationUs, recoveryBoundUs: 200_000 }),
    extras: (r) => ({ figures: { servers: r.cluster.servers.length } }),
  });
  const output = experiment.run({}, 2);
  assert.equal(output.traceHash, experiment.run({}, 2).traceHash);
  assert.equal(output.figures.servers, 1);
  assert.ok((output.figures.operationsOk as number) > 50);
  assert.deepEqual(output.checks.map((c) => c.valid), [true, true, true]);
  assert.equal(output.coverage?.faults.length, 1);
});
