/**
 * PBS t-visibility measured on the real leaderless store instead of the WARS model: three nodes,
 * every key on all three (N = 3), strict quorum mode with the given R and W, no sloppy quorum, no
 * read repair and no anti-entropy, so only the write itself can make a replica current.
 *
 * Delays come from the profile through the network's per-message latency: a `replicate` carries
 * the write (W), `replicated` acknowledges it (A), `fetch` carries a read (R), `fetched` answers
 * it (S); WAN adds its remote delay to each of them, every replica being in its own datacenter.
 * Client requests and replies, CPU and disks cost nothing, so what remains is the protocol.
 *
 * A trial writes a fresh key; when the put is acknowledged at time `c`, one reader per point of
 * the t grid reads the key at `c + t`; the next trial starts once every read has answered. The
 * verdicts come from the recorded history: a read is consistent when it returned the trial's value.
 *
 * What differs from WARS: the coordinator is one of the replicas, picked at random by the client
 * for the write and again for the read (the model's `replica` coordinator); its own copy is written
 * and read with no delay, and the write's coordinator counts its own copy toward W at once.
 *
 * @example
 * ```ts
 * import { runPbsStore } from "./pbs_store.ts";
 * import { pbsProfiles } from "./wars.ts";
 * const result = runPbsStore({ profile: pbsProfiles["LNKD-SSD"], r: 1, w: 1, trials: 20, tGridMs: [0, 1], seed: 1 });
 * result.consistentAt[0]; // the share of reads at t = 0 that saw the write
 * ```
 * @module
 */
import { assert, InputError } from "../../../assert.ts";
import { clientContext, TrialHash } from "../../../harness/mod.ts";
import { type Distribution, distribution, type NodeApi, type Rng, Simulation } from "../../../sim/mod.ts";
import { type KvMessage, kvSettingsDefaults } from "../mod.ts";
import { type KvOptions, kvSystem } from "./system.ts";
import type { WarsProfile } from "./wars.ts";

/** Trials of one store run, at most. */
export const pbsStoreTrialsMax = 100_000;
/** Points of the t grid, at most (one reader node each). */
export const pbsStoreGridPointsMax = 64;
/** Events one store run may process, at most. */
const pbsStoreEventsMax = 50_000_000;

/** Options of {@linkcode runPbsStore}. */
export interface PbsStoreOptions {
  profile: WarsProfile;
  r: number;
  w: number;
  trials: number;
  /** Offsets after the write's acknowledgement at which reads start, in ms, ascending. */
  tGridMs: readonly number[];
  seed: number;
}

/** What one store run measured. */
export interface PbsStoreResult {
  trials: number;
  /** Per grid point, the share of reads that returned the trial's write. */
  consistentAt: number[];
  /** Read and write latencies (ms) of every operation, sorted ascending. */
  readLatencyMs: Float64Array;
  writeLatencyMs: Float64Array;
  traceHash: string;
  events: number;
}

/** Runs the store for one profile and quorum configuration. */
export function runPbsStore(options: PbsStoreOptions): PbsStoreResult {
  const { profile, r, w, trials, tGridMs, seed } = options;
  if (!Number.isInteger(trials) || trials < 1 || trials > pbsStoreTrialsMax) {
    throw new InputError(`store trials must be a whole number from 1 to ${pbsStoreTrialsMax}, got ${trials}`);
  }
  if (tGridMs.length < 1 || tGridMs.length > pbsStoreGridPointsMax || tGridMs.some((t) => !(t >= 0))) {
    throw new InputError(`the t grid needs 1 to ${pbsStoreGridPointsMax} offsets of 0 ms or more`);
  }
  const sim = new Simulation({
    seed,
    network: { latencyUsOfMessage: warsLatency(profile) },
    host: { disk: { writeLatencyUs: { kind: "constant", value: 0 }, fsyncLatencyUs: { kind: "constant", value: 0 } } },
    eventsMax: pbsStoreEventsMax,
  });
  const kvOptions = storeOptions(r, w);
  const cluster = kvSystem.build(sim, kvOptions);
  const driver = new PbsDriver(trials, tGridMs);
  const clientOf = (api: NodeApi<KvMessage>) => kvSystem.client(clientContext(api, api.id), cluster, kvOptions);
  driver.writer = sim.addNode<KvMessage>({ name: "pbs-writer", create: (api) => driver.lane(api, clientOf(api)) });
  for (let j = 0; j < tGridMs.length; j++) {
    sim.addNode<KvMessage>({ name: `pbs-reader${j}`, create: (api) => driver.lane(api, clientOf(api)) });
  }
  driver.sim = sim;
  sim.at(0, () => driver.nextTrial());
  sim.run({ until: () => driver.finished });
  assert(driver.finished, `the store's PBS run stopped after ${driver.trial} of ${trials} trials`);
  const measured = judge(sim, driver, tGridMs.length);
  const hash = new TrialHash();
  hash.add({ traceHash: sim.hash(), events: sim.eventsProcessed });
  return { trials, ...measured, traceHash: hash.hex(), events: sim.eventsProcessed };
}

/** The store's settings for PBS: strict quorums of the given sizes and nothing that repairs replicas. */
function storeOptions(r: number, w: number): KvOptions {
  return {
    servers: 3,
    mode: "quorum",
    settings: {
      ...kvSettingsDefaults,
      n: 3,
      r,
      w,
      sloppyQuorum: false,
      readRepair: "off",
      antiEntropyEveryUs: 0,
      // YMMR's write tail reaches seconds: no request may time out before its quorum answers.
      replicaTimeoutUs: 600_000_000,
      requestTimeoutUs: 600_000_000,
      handoffEveryUs: 600_000_000,
    },
    virtualNodes: 16,
    serviceTimeUsMean: 0,
    clientTimeoutUs: 700_000_000,
    attemptsMax: 1,
    bug: "none",
  };
}

/** The per-message latency of the store's messages under a WARS profile, in microseconds. */
export function warsLatency(profile: WarsProfile): (message: unknown, rng: Rng) => number | undefined {
  const w = distribution(profile.w);
  const a = distribution(profile.a);
  const r = distribution(profile.r);
  const s = distribution(profile.s);
  const remoteUs = profile.remoteDelayMs * 1000;
  const draw = (d: Distribution, rng: Rng) => d.sample(rng) * 1000 + remoteUs;
  return (message, rng) => {
    switch ((message as KvMessage).type) {
      case "replicate":
        return draw(w, rng);
      case "replicated":
        return draw(a, rng);
      case "fetch":
        return draw(r, rng);
      case "fetched":
        return draw(s, rng);
      default:
        // Clients sit beside their coordinator: requests and replies take no time.
        return 0;
    }
  };
}

/** One client lane: a node with the store's client, performing what the driver asks. */
interface Lane {
  perform(f: "put" | "get", key: string, value: unknown, done: () => void): void;
}

/** Runs the trials: a put, then one get per grid point at its offset after the put's acknowledgement. */
class PbsDriver {
  sim!: Simulation;
  writer = -1;
  trial = 0;
  finished = false;
  readonly lanes: Lane[] = [];
  #readsOpen = 0;

  constructor(readonly trials: number, readonly tGridMs: readonly number[]) {}

  lane(api: NodeApi<KvMessage>, client: ReturnType<typeof kvSystem.client>) {
    const lane: Lane = {
      perform: (f, key, value, done) => {
        const invocation = api.invoke(f, value, { key });
        client.perform({ f, key, value }, (outcome) => {
          if (outcome.type === "info") api.complete(invocation, "info");
          else api.complete(invocation, outcome.type, outcome.value);
          done();
        });
      },
    };
    this.lanes[api.id - this.writer] = lane;
    return {
      onMessage: (from: number, m: KvMessage) => client.onMessage(from, m),
      onTimer: (t: unknown) => client.onTimer?.(t),
    };
  }

  nextTrial(): void {
    if (this.trial >= this.trials) {
      this.finished = true;
      return;
    }
    const key = `pbs${this.trial++}`;
    this.lanes[0].perform("put", key, key, () => {
      this.#readsOpen = this.tGridMs.length;
      this.tGridMs.forEach((tMs, j) => {
        this.sim.after(
          Math.round(tMs * 1000),
          () => this.lanes[j + 1].perform("get", key, null, () => this.#readDone()),
        );
      });
    });
  }

  #readDone(): void {
    if (--this.#readsOpen === 0) this.nextTrial();
  }
}

/** The verdicts of the history: per reader, the share of its reads that returned the trial's value. */
function judge(sim: Simulation, driver: PbsDriver, points: number) {
  const consistent = new Array<number>(points).fill(0);
  const reads = new Array<number>(points).fill(0);
  const readLatencies: number[] = [];
  const writeLatencies: number[] = [];
  const invoked = new Map<number | string, number>();
  for (const op of sim.history.events) {
    if (op.type === "invoke") {
      invoked.set(op.process, op.time);
      continue;
    }
    assert(op.type === "ok", `a PBS ${op.f} of ${op.key} ended ${op.type}: no request may fail without faults`);
    const latencyMs = (op.time - invoked.get(op.process)!) / 1000;
    if (op.f === "put") {
      writeLatencies.push(latencyMs);
      continue;
    }
    const point = (op.process as number) - driver.writer - 1;
    reads[point]++;
    readLatencies.push(latencyMs);
    // Every key is written once, with itself as the value: a read saw the write or nothing.
    if (op.value === op.key) consistent[point]++;
    else assert(op.value === "", `a read of ${op.key} returned ${String(op.value)}`);
  }
  assert(reads.every((n) => n === driver.trials), `every reader reads once per trial: ${reads.join(", ")}`);
  const sorted = (values: number[]) => Float64Array.from(values).sort();
  return {
    consistentAt: consistent.map((n) => n / driver.trials),
    readLatencyMs: sorted(readLatencies),
    writeLatencyMs: sorted(writeLatencies),
  };
}
