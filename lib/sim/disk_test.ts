// Proves the simulated disk's durability contract (page cache vs fsync, crash policies), its timing (latency,
// stalls, queueing behind neighbours) and its faults (full, corruption).
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { type DiskCompletion, type DiskOptions, NodeFiles } from "./disk.ts";
import { Simulation } from "./simulation.ts";
import type { NodeApi } from "./types.ts";

interface Completed extends DiskCompletion {
  atUs: number;
}

/** Exact timings: no throughput term, constant latencies. */
const exactDisk: DiskOptions = {
  writeLatencyUs: { kind: "constant", value: 10 },
  fsyncLatencyUs: { kind: "constant", value: 1000 },
  bytesPerSecond: 0,
};

/** A node that only records its disk completions; `api()` is its current incarnation's API. */
function diskNode(sim: Simulation, host: number): { id: number; api: () => NodeApi; completions: Completed[] } {
  let current: NodeApi | undefined;
  const completions: Completed[] = [];
  const id = sim.addNode({
    host,
    create: (api) => {
      current = api;
      return { onMessage: () => {}, onDisk: (completion) => completions.push({ atUs: sim.nowUs, ...completion }) };
    },
  });
  sim.run();
  return { id, api: () => current!, completions };
}

function setup(disk: DiskOptions = exactDisk, seed = 1) {
  const sim = new Simulation({ seed });
  const host = sim.addHost({ name: "db-host", disk });
  return { sim, host, ...diskNode(sim, host) };
}

const bytes = (...values: number[]) => new Uint8Array(values);

Deno.test("a write is in the page cache when it completes but durable only when a later fsync completes", () => {
  const { sim, id, api, completions } = setup();
  api().disk.append("wal", bytes(1, 2, 3), "w1");
  assert.equal(api().disk.size("wal"), 0, "nothing is visible before the write completes");
  sim.run({ untilUs: 10 });
  assert.deepEqual(api().disk.read("wal"), bytes(1, 2, 3));
  assert.equal(sim.files(id).durableLength("wal"), 0);

  api().disk.fsync("wal", "s1");
  sim.run({ untilUs: 1009 });
  assert.equal(sim.files(id).durableLength("wal"), 0, "an fsync in progress has not made anything durable");
  sim.run();
  assert.equal(sim.files(id).durableLength("wal"), 3);
  assert.deepEqual(
    completions.map(({ op, tag, ok, atUs, sizeBytes }) => ({ op, tag, ok, atUs, sizeBytes })),
    [
      { op: "write", tag: "w1", ok: true, atUs: 10, sizeBytes: 3 },
      { op: "fsync", tag: "s1", ok: true, atUs: 1010, sizeBytes: 0 },
    ],
  );
});

Deno.test("a crash with unsyncedOnCrash 'lose' loses unsynced writes and keeps synced ones", () => {
  const { sim, id, api } = setup({ ...exactDisk, unsyncedOnCrash: "lose" });
  api().disk.append("wal", bytes(1, 1));
  api().disk.fsync("wal");
  sim.run();
  api().disk.append("wal", bytes(2, 2));
  api().disk.append("other", bytes(3));
  sim.run();
  assert.deepEqual(api().disk.read("wal"), bytes(1, 1, 2, 2));
  assert.equal(sim.crash(id), 2);
  assert.deepEqual(sim.files(id).read("wal"), bytes(1, 1));
  assert.equal(sim.files(id).size("other"), 0);
  assert.equal(sim.files(id).stats.writesLostAtCrash, 2);
});

Deno.test("a crash with unsyncedOnCrash 'keep' keeps completed unsynced writes", () => {
  const { sim, id, api } = setup({ ...exactDisk, unsyncedOnCrash: "keep" });
  api().disk.append("wal", bytes(1, 1));
  api().disk.fsync("wal");
  sim.run();
  api().disk.append("wal", bytes(2, 2));
  sim.run();
  assert.equal(sim.crash(id), 0);
  assert.deepEqual(sim.files(id).read("wal"), bytes(1, 1, 2, 2));
  assert.equal(sim.files(id).durableLength("wal"), 4);
});

Deno.test("a crash with unsyncedOnCrash 'random' keeps an in-order prefix of unsynced writes, sometimes torn", () => {
  const writeCount = 6;
  const writeSizeBytes = 10;
  const all = new Uint8Array(writeCount * writeSizeBytes).map((_, i) => 1 + Math.floor(i / writeSizeBytes));
  const outcomes = { allKept: 0, wholeWritesLost: 0, torn: 0 };
  for (let seed = 1; seed <= 80; seed++) {
    const { sim, id, api } = setup({ ...exactDisk, unsyncedOnCrash: "random" }, seed);
    for (let w = 0; w < writeCount; w++) {
      api().disk.append("wal", all.subarray(w * writeSizeBytes, (w + 1) * writeSizeBytes));
    }
    sim.run();
    const lost = sim.crash(id);
    const survived = sim.files(id).read("wal");
    assert.deepEqual(survived, all.subarray(0, survived.length), `seed ${seed}: what survives is a prefix`);
    const stats = sim.files(id).stats;
    const torn = survived.length % writeSizeBytes !== 0;
    assert.equal(stats.writesTornAtCrash, torn ? 1 : 0, `seed ${seed}: torn count`);
    assert.equal(lost, writeCount - Math.floor(survived.length / writeSizeBytes), `seed ${seed}: lost count`);
    if (lost === 0) outcomes.allKept++;
    else if (torn) outcomes.torn++;
    else outcomes.wholeWritesLost++;
  }
  assert.ok(outcomes.torn > 5, `torn cases: ${JSON.stringify(outcomes)}`);
  assert.ok(outcomes.wholeWritesLost > 5, `lost cases: ${JSON.stringify(outcomes)}`);
});

Deno.test("fsync latency delays the fsync's completion by that much", () => {
  const { sim, api, completions } = setup({ ...exactDisk, fsyncLatencyUs: { kind: "constant", value: 7000 } });
  sim.run({ untilUs: 100 });
  api().disk.fsync("wal", "slow");
  sim.run();
  assert.deepEqual(completions.map((c) => [c.op, c.atUs]), [["fsync", 7100]]);
});

Deno.test("a stalled disk completes nothing before the stall ends, including operations already in flight", () => {
  const { sim, host, api, completions } = setup({ ...exactDisk, writeLatencyUs: { kind: "constant", value: 10_000 } });
  api().disk.append("wal", bytes(1), "in flight");
  sim.at(5_000, (s) => s.stallDisk(host, 30_000));
  sim.at(6_000, () => api().disk.append("wal", bytes(2), "issued during stall"));
  sim.run();
  assert.deepEqual(completions.map((c) => [c.tag, c.atUs]), [["in flight", 30_000], ["issued during stall", 40_000]]);
  assert.deepEqual(api().disk.read("wal"), bytes(1, 2));
});

Deno.test("a slow disk multiplies service times", () => {
  const { sim, host, api, completions } = setup();
  sim.slowDisk(host, 10);
  api().disk.fsync("wal");
  sim.run();
  assert.equal(completions[0].atUs, 10_000);
  assert.throws(() => sim.slowDisk(host, 0.5), InputError);
});

Deno.test("a full disk fails growing writes with an error naming the disk, and overwrites in place still work", () => {
  const { sim, host, api, completions } = setup();
  sim.setDiskCapacity(host, 100);
  api().disk.append("wal", new Uint8Array(60), "first");
  sim.run();
  api().disk.append("wal", new Uint8Array(60), "second");
  sim.run();
  assert.equal(completions[0].ok, true);
  assert.equal(completions[1].ok, false);
  assert.equal(completions[1].tag, "second");
  assert.match(completions[1].error!, /disk full on db-host/);
  assert.equal(api().disk.size("wal"), 60);

  sim.setDiskCapacity(host, 1000);
  api().disk.append("wal", new Uint8Array(20), "fits again");
  sim.run();
  assert.equal(completions[2].ok, true);
  sim.fillDisk(host);
  assert.equal(sim.hostStats(host).diskUsedBytes, 80);
  api().disk.append("wal", bytes(1), "after fill");
  api().disk.write("wal", 0, bytes(9, 9), "overwrite");
  sim.run();
  assert.deepEqual(completions.slice(3).map((c) => [c.tag, c.ok]), [["after fill", false], ["overwrite", true]]);
  assert.deepEqual(api().disk.read("wal", 0, 3), bytes(9, 9, 0));
});

Deno.test("corruptFile flips bits only within the given range, in the durable contents too", () => {
  const { sim, id, api } = setup({ ...exactDisk, unsyncedOnCrash: "lose" });
  api().disk.append("data", new Uint8Array(100));
  api().disk.fsync("data");
  sim.run();
  const offsets = sim.corruptFile(id, "data", { fromByte: 10, toByte: 20, bitCount: 5 });
  assert.equal(offsets.length, 5);
  assert.ok(offsets.every((o) => o >= 10 && o < 20), `offsets ${offsets}`);
  const check = (data: Uint8Array, what: string) => {
    const damaged = [...data.keys()].filter((i) => data[i] !== 0);
    assert.ok(damaged.length >= 1, `${what}: some byte changed`);
    assert.ok(damaged.every((i) => i >= 10 && i < 20 && offsets.includes(i)), `${what}: damaged ${damaged}`);
  };
  check(api().disk.read("data"), "page cache");
  sim.crash(id);
  check(sim.files(id).read("data"), "durable contents");
  assert.throws(() => sim.corruptFile(id, "data", { fromByte: 100, toByte: 200 }), InputError);
  assert.throws(() => sim.corruptFile(id, "missing", { fromByte: 0, toByte: 1 }), InputError);
});

Deno.test("the device writes whole pages: bytesWrittenToDevice counts every page an fsync's writes touched", () => {
  const { sim, id, api } = setup({ ...exactDisk, pageSizeBytes: 4096 });
  for (let i = 0; i < 10; i++) api().disk.append("wal", new Uint8Array(100));
  api().disk.fsync("wal");
  sim.run();
  const stats = sim.files(id).stats;
  assert.equal(stats.bytesWritten, 1000);
  assert.equal(stats.bytesWrittenToDevice, 4096);
  api().disk.append("wal", new Uint8Array(5000)); // bytes 1000-6000: pages 0 and 1
  api().disk.fsync("wal");
  api().disk.fsync("wal"); // nothing pending: writes nothing
  sim.run();
  assert.equal(stats.bytesWritten, 6000);
  assert.equal(stats.bytesWrittenToDevice, 4096 + 2 * 4096);
  assert.equal(stats.writes, 11);
  assert.equal(stats.fsyncs, 3);
});

Deno.test("an fsync counts each page once, whether its writes append, overlap, go back or are empty", () => {
  const cases: { writes: [offset: number, length: number][]; pages: number }[] = [
    { writes: [[0, 10], [10, 10], [20, 4076], [4096, 1]], pages: 2 }, // appends sharing page 0
    { writes: [[0, 8192], [4000, 200]], pages: 2 }, // an overwrite inside pages written before
    { writes: [[8192, 10], [0, 10]], pages: 2 }, // back to an earlier page
    { writes: [[100, 0], [5000, 0], [4096, 1]], pages: 1 }, // empty writes touch nothing
    { writes: [[4095, 2], [4097, 4096]], pages: 3 }, // straddling page boundaries
  ];
  for (const { writes, pages } of cases) {
    const files = new NodeFiles();
    for (const [offset, length] of writes) files.applyWrite("f", offset, new Uint8Array(length));
    assert.equal(files.applyFsync("f", 4096), pages * 4096, JSON.stringify(writes));
  }
});

Deno.test("a file grown into the buffer of a deleted or replaced file reads zeros in its holes, not the old bytes", () => {
  const files = new NodeFiles();
  for (const name of ["deleted", "replaced", "tmp"]) {
    files.applyWrite(name, 0, new Uint8Array(20_000).fill(0xff));
    files.applyFsync(name, 4096);
  }
  files.delete("deleted");
  files.rename("tmp", "replaced");
  for (const name of ["a", "b", "c"]) {
    files.applyWrite(name, 0, Uint8Array.of(1));
    files.applyWrite(name, 15_000, Uint8Array.of(2)); // past the end: a hole, in a grown buffer
    files.applyFsync(name, 4096);
    for (const bytes of [files.read(name), files.readDurable(name)]) {
      assert.equal(bytes.length, 15_001);
      assert.deepEqual([bytes[0], bytes[15_000]], [1, 2]);
      assert.equal(bytes.subarray(1, 15_000).every((b) => b === 0), true, `${name}: the hole holds old bytes`);
    }
  }
  assert.equal(files.read("replaced").every((b) => b === 0xff), true);
});

/** The fsync latency node 0 sees at 1 ms, optionally with a neighbour writing 50 MB from t=0. */
function fsyncLatencyWithNeighbour(neighbour: "none" | "same host" | "other host"): number {
  const sim = new Simulation({ seed: 5 });
  const host = sim.addHost({ disk: { fsyncLatencyUs: { kind: "constant", value: 500 } } });
  const db = diskNode(sim, host);
  if (neighbour !== "none") {
    const noisy = diskNode(sim, neighbour === "same host" ? host : sim.addHost({}));
    for (let i = 0; i < 50; i++) noisy.api().disk.append(`blob${i}`, new Uint8Array(1_000_000));
  }
  let issuedUs = 0;
  sim.at(1000, () => {
    issuedUs = sim.nowUs;
    db.api().disk.fsync("wal");
  });
  sim.run();
  return db.completions[0].atUs - issuedUs;
}

Deno.test("a noisy neighbour writing heavily on the same host delays a co-located node's fsync", () => {
  const alone = fsyncLatencyWithNeighbour("none");
  const coLocated = fsyncLatencyWithNeighbour("same host");
  const elsewhere = fsyncLatencyWithNeighbour("other host");
  assert.equal(alone, 500);
  assert.equal(elsewhere, alone, "a neighbour on another host does not matter");
  // 50 MB at the default 500 MB/s keeps the device busy for about 100 ms.
  assert.ok(coLocated > 90_000, `co-located fsync took ${coLocated} us`);
});

Deno.test("a per-node disk throughput cap spaces that node's writes", () => {
  const sim = new Simulation({ seed: 1 });
  const host = sim.addHost({ disk: exactDisk });
  const completions: number[] = [];
  let api: NodeApi | undefined;
  sim.addNode({
    host,
    diskBytesPerSecondMax: 1_000_000,
    create: (a) => {
      api = a;
      return { onMessage: () => {}, onDisk: () => completions.push(sim.nowUs) };
    },
  });
  sim.run();
  api!.disk.append("f", new Uint8Array(1000));
  api!.disk.append("f", new Uint8Array(1000));
  sim.run();
  assert.deepEqual(completions, [10, 1010]);
});

Deno.test("disk operations in flight at a crash never complete, for the old or the new incarnation", () => {
  const { sim, id, api, completions } = setup({ ...exactDisk, writeLatencyUs: { kind: "constant", value: 10_000 } });
  api().disk.append("wal", bytes(1));
  api().disk.fsync("wal");
  sim.at(5_000, (s) => s.crash(id));
  sim.at(6_000, (s) => s.restart(id));
  sim.run();
  assert.equal(completions.length, 0);
  assert.equal(sim.files(id).exists("wal"), false);
});

Deno.test("rename, truncate and delete are immediate and survive a crash", () => {
  const { sim, id, api } = setup({ ...exactDisk, unsyncedOnCrash: "lose" });
  api().disk.append("tmp", bytes(1, 2, 3, 4));
  api().disk.append("old", bytes(5));
  api().disk.fsync("tmp");
  api().disk.fsync("old");
  sim.run();
  api().disk.rename("tmp", "snapshot");
  api().disk.truncate("snapshot", 2);
  api().disk.delete("old");
  assert.deepEqual(api().disk.list(), ["snapshot"]);
  sim.crash(id);
  assert.deepEqual(sim.files(id).list(), ["snapshot"]);
  assert.deepEqual(sim.files(id).read("snapshot"), bytes(1, 2));
});

Deno.test("an unknown disk option is rejected with the allowed ones, and a write past the end is refused", () => {
  const sim = new Simulation({ seed: 1 });
  assert.throws(
    () => sim.addHost({ disk: { fsyncLatency: 5 } as never }),
    (e: Error) =>
      e instanceof InputError && e.message.includes('unknown disk option "fsyncLatency"') &&
      e.message.includes("fsyncLatencyUs") && e.message.includes("unsyncedOnCrash"),
  );
  assert.throws(() => sim.addHost({ disk: { unsyncedOnCrash: "maybe" as never } }), /random, lose, keep/);
  const { api } = setup();
  assert.throws(
    () => api().disk.write("wal", 5, bytes(1)),
    (e: Error) => e instanceof InputError && /past its end/.test(e.message),
  );
});

Deno.test("writes issued at the same instant cannot together overshoot the capacity: those beyond it fail as disk full", () => {
  const { sim, host, api, completions } = setup();
  sim.setDiskCapacity(host, 100);
  for (const tag of ["a", "b", "c", "d"]) api().disk.append(`f-${tag}`, new Uint8Array(40), tag);
  assert.equal(api().disk.size("f-a"), 0, "nothing has completed yet: only the reservations count");
  sim.run();
  const outcome = Object.fromEntries(completions.map((c) => [c.tag, c.ok]));
  assert.deepEqual(outcome, { a: true, b: true, c: false, d: false });
  for (const failed of completions.filter((c) => !c.ok)) assert.match(failed.error!, /disk full on db-host/);
  assert.equal(sim.hostStats(host).diskUsedBytes, 80);

  // The reservations of completed writes are released: exactly the remaining 20 bytes fit, one more does not.
  api().disk.append("f-e", new Uint8Array(20), "fills it");
  sim.run();
  api().disk.append("f-e", bytes(1), "one too many");
  sim.run();
  assert.deepEqual(completions.slice(4).map((c) => [c.tag, c.ok]), [["fills it", true], ["one too many", false]]);
  assert.equal(sim.hostStats(host).diskUsedBytes, 100);
});

Deno.test("a write in flight at a crash releases its capacity reservation even though it never completes", () => {
  const { sim, id, host, api, completions } = setup({
    ...exactDisk,
    writeLatencyUs: { kind: "constant", value: 10_000 },
  });
  sim.setDiskCapacity(host, 100);
  api().disk.append("wal", new Uint8Array(60), "in flight");
  sim.at(5_000, (s) => s.crash(id));
  sim.at(6_000, (s) => s.restart(id));
  sim.run();
  assert.equal(completions.length, 0);
  assert.equal(sim.hostStats(host).diskUsedBytes, 0);
  api().disk.append("wal", new Uint8Array(100), "whole disk");
  sim.run();
  assert.deepEqual(completions.map((c) => [c.tag, c.ok]), [["whole disk", true]]);
});

/** Two files, each with a synced first write and three unsynced writes of 10 distinct bytes after it. */
function unsyncedFiles(sim: Simulation, api: () => NodeApi): void {
  for (const [file, base] of [["wal", 10], ["index", 50]] as const) {
    api().disk.append(file, new Uint8Array(4).fill(base));
    api().disk.fsync(file);
  }
  sim.run();
  for (const [file, base] of [["wal", 10], ["index", 50]] as const) {
    for (let w = 1; w <= 3; w++) api().disk.append(file, new Uint8Array(10).fill(base + w));
  }
  sim.run();
}

/** Checks that each file kept its synced part plus a strict, non-empty prefix of its first unsynced write. */
function assertTorn(sim: Simulation, id: number, label: string): void {
  for (const [file, base] of [["wal", 10], ["index", 50]] as const) {
    const left = sim.files(id).read(file);
    assert.deepEqual(left.subarray(0, 4), new Uint8Array(4).fill(base), `${label} ${file}: synced part kept`);
    const tornBytes = left.length - 4;
    assert.ok(tornBytes >= 1 && tornBytes < 10, `${label} ${file}: ${tornBytes} bytes of the first unsynced write`);
    assert.deepEqual(left.subarray(4), new Uint8Array(tornBytes).fill(base + 1), `${label} ${file}: a prefix of it`);
    assert.equal(sim.files(id).durableLength(file), left.length);
  }
  assert.equal(sim.files(id).stats.writesTornAtCrash, 2, label);
  assert.equal(sim.files(id).stats.writesLostAtCrash, 6, label);
}

Deno.test("a crash with unsyncedOnCrash 'torn' keeps a strict prefix of each file's first unsynced write and loses the rest", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const viaCrash = setup({ ...exactDisk, unsyncedOnCrash: "keep" }, seed);
    unsyncedFiles(viaCrash.sim, viaCrash.api);
    assert.equal(viaCrash.sim.crash(viaCrash.id, { unsyncedOnCrash: "torn" }), 6);
    assertTorn(viaCrash.sim, viaCrash.id, `seed ${seed}, crash option`);

    const viaDisk = setup({ ...exactDisk, unsyncedOnCrash: "torn" }, seed);
    unsyncedFiles(viaDisk.sim, viaDisk.api);
    assert.equal(viaDisk.sim.crash(viaDisk.id), 6);
    assertTorn(viaDisk.sim, viaDisk.id, `seed ${seed}, disk option`);
  }
});

Deno.test("an unknown crash policy is rejected listing the policies, from the disk options and from crash()", () => {
  const sim = new Simulation({ seed: 1 });
  assert.throws(
    () => sim.addHost({ disk: { unsyncedOnCrash: "shred" as never } }),
    (e: Error) => e instanceof InputError && e.message.includes("random, lose, keep, torn") && /shred/.test(e.message),
  );
  const { sim: running, id, api } = setup({ ...exactDisk, unsyncedOnCrash: "lose" });
  api().disk.append("wal", bytes(1, 2));
  running.run();
  assert.throws(
    () => running.crash(id, { unsyncedOnCrash: "shred" as never }),
    (e: Error) => e instanceof InputError && e.message.includes("random, lose, keep, torn") && /shred/.test(e.message),
  );
  assert.equal(running.isUp(id), true, "a rejected crash does not happen");
  assert.deepEqual(running.files(id).read("wal"), bytes(1, 2));
});

Deno.test("slowDisk with fsyncOnly slows fsyncs by the factor but leaves writes alone, and factor 1 restores it", () => {
  const { sim, host, api, completions } = setup();
  const latencies = () => {
    const start = sim.nowUs;
    const from = completions.length;
    api().disk.append("wal", bytes(1), "write");
    sim.run();
    api().disk.fsync("wal", "fsync");
    sim.run();
    const [write, fsync] = completions.slice(from);
    return { write: write.atUs - start, fsync: fsync.atUs - write.atUs };
  };
  assert.deepEqual(latencies(), { write: 10, fsync: 1000 });
  sim.slowDisk(host, 10, { fsyncOnly: true });
  assert.deepEqual(latencies(), { write: 10, fsync: 10_000 });
  sim.slowDisk(host, 1, { fsyncOnly: true });
  assert.deepEqual(latencies(), { write: 10, fsync: 1000 });
});

Deno.test("an IOPS budget spaces disk operations at least 1/iops apart, and diskBudget reports it", () => {
  const { sim, host, api, completions } = setup();
  assert.deepEqual(sim.diskBudget(host), { bytesPerSecond: 0, iops: 0 });
  sim.setDiskBudget(host, { iops: 100 });
  assert.deepEqual(sim.diskBudget(host), { bytesPerSecond: 0, iops: 100 });
  for (let i = 0; i < 5; i++) api().disk.append("wal", bytes(i));
  api().disk.fsync("wal");
  sim.run();
  const times = completions.map((c) => c.atUs);
  assert.equal(times.length, 6);
  for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 10_000, `completions at ${times}`);

  sim.setDiskBudget(host, { bytesPerSecond: 1_000_000 });
  assert.deepEqual(sim.diskBudget(host), { bytesPerSecond: 1_000_000, iops: 100 }, "omitted fields stay");
  sim.setDiskBudget(host, { bytesPerSecond: 0, iops: 0 });
  const start = sim.nowUs;
  api().disk.append("wal", bytes(9));
  api().disk.append("wal", bytes(9));
  sim.run();
  assert.deepEqual(completions.slice(6).map((c) => c.atUs - start), [10, 20], "unlimited again");
  assert.throws(() => sim.setDiskBudget(host, { iops: -1 }), InputError);
});

Deno.test("setDiskQuota caps one node's disk throughput on a shared device without slowing its neighbour, until removed", () => {
  const sim = new Simulation({ seed: 1 });
  const host = sim.addHost({ disk: exactDisk });
  const capped = diskNode(sim, host);
  const neighbour = diskNode(sim, host);
  sim.setDiskQuota(capped.id, 1_000_000); // 1 byte per microsecond
  for (let i = 0; i < 10; i++) capped.api().disk.append("blob", new Uint8Array(1000));
  for (let i = 0; i < 10; i++) neighbour.api().disk.append("blob", new Uint8Array(1000));
  sim.run();
  const cappedDone = capped.completions.map((c) => c.atUs);
  // 10 kB at 1 MB/s: the last write starts 9 ms after the first.
  assert.ok(cappedDone.at(-1)! >= 9_000 && cappedDone.at(-1)! <= 9_500, `capped node finished at ${cappedDone}`);
  const neighbourDone = neighbour.completions.map((c) => c.atUs);
  assert.ok(neighbourDone.at(-1)! <= 500, `neighbour finished at ${neighbourDone}`);

  sim.setDiskQuota(capped.id, undefined);
  const start = sim.nowUs;
  for (let i = 0; i < 10; i++) capped.api().disk.append("blob", new Uint8Array(1000));
  sim.run();
  assert.ok(capped.completions.at(-1)!.atUs - start <= 200, "the quota is gone");

  // Removing a quota while it still holds writes back keeps the node's writes in the order it issued them.
  sim.setDiskQuota(capped.id, 1_000_000);
  for (const value of [1, 2, 3]) capped.api().disk.append("ordered", new Uint8Array(1000).fill(value));
  sim.setDiskQuota(capped.id, undefined);
  capped.api().disk.append("ordered", new Uint8Array(1000).fill(4));
  sim.run();
  const ordered = capped.api().disk.read("ordered");
  assert.deepEqual([0, 1000, 2000, 3000].map((offset) => ordered[offset]), [1, 2, 3, 4]);
  assert.throws(() => sim.setDiskQuota(capped.id, 0), InputError);
});

Deno.test("a write past the end after a truncate that raced it leaves a zero-filled hole", () => {
  const { sim, id, api, completions } = setup({ ...exactDisk, unsyncedOnCrash: "lose" });
  api().disk.append("data", bytes(1, 2, 3, 4, 5, 6));
  api().disk.fsync("data");
  sim.run();
  api().disk.write("data", 6, bytes(7, 8), "raced"); // at the end when issued
  api().disk.truncate("data", 2); // completes first
  assert.deepEqual(api().disk.read("data"), bytes(1, 2));
  sim.run();
  assert.deepEqual(completions.at(-1)!.tag, "raced");
  assert.equal(completions.at(-1)!.ok, true);
  assert.deepEqual(api().disk.read("data"), bytes(1, 2, 0, 0, 0, 0, 7, 8));
  api().disk.fsync("data");
  sim.run();
  sim.crash(id);
  assert.deepEqual(sim.files(id).read("data"), bytes(1, 2, 0, 0, 0, 0, 7, 8), "the hole is durable as zeros too");
});

Deno.test("nodeStats counts a node's completed disk operations, not those lost in flight at a crash", () => {
  const { sim, id, api } = setup({ ...exactDisk, writeLatencyUs: { kind: "constant", value: 100 } });
  api().disk.append("wal", bytes(1));
  api().disk.append("wal", bytes(2));
  api().disk.fsync("wal");
  assert.equal(sim.nodeStats(id).diskOperations, 0);
  sim.run({ untilUs: 100 });
  assert.equal(sim.nodeStats(id).diskOperations, 1);
  sim.run();
  assert.equal(sim.nodeStats(id).diskOperations, 3);
  api().disk.append("wal", bytes(3));
  sim.crash(id);
  sim.restart(id);
  sim.run();
  assert.equal(sim.nodeStats(id).diskOperations, 3, "the write lost at the crash never completed");
});
