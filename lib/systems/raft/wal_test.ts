// Proves the Raft WAL keeps what was synced through crashes under every unsynced-write policy, cuts
// a torn last record without misaligning later appends, refuses to start on damage in the middle,
// replays overwrites and snapshot markers as Raft §5.3 and §7 say, and compacts safely: the old
// WAL stays whole until the rewritten one is durable.
import assert from "node:assert/strict";
import { crc32 } from "../../base/mod.ts";
import {
  encodeRecords,
  recover,
  replayWal,
  Wal,
  WalCorruptionError,
  type WalEntry,
  walFileDefault,
  walFrameHeaderBytes,
  type WalHardState,
  type WalOptions,
  type WalRecord,
  WalRecordTooLargeError,
  type WalRecovery,
  type WalSnapshotMarker,
} from "./wal/mod.ts";
import { type DiskCompletion, type NodeApi, type NodeLogic, Simulation, type UnsyncedOnCrash } from "../../sim/mod.ts";

// ---------------------------------------------------------------- harness

const compactionTag = "compaction";

/** What the test sees of the node's current incarnation. */
interface Probe {
  wal: Wal | undefined;
  recovery: WalRecovery | undefined;
  syncedTags: unknown[];
  compactionResults: boolean[];
  /** When set, the node does not finish a compaction whose fsync completed (to crash in between). */
  holdCompaction: boolean;
  heldCompaction: DiskCompletion | undefined;
  failedWrites: string[];
}

/** A tiny node that recovers its WAL at every start and reports its WAL's disk completions. */
function walNode(api: NodeApi, probe: Probe, options: WalOptions, constructFirst: boolean): NodeLogic {
  const start = () => {
    probe.wal = constructFirst ? new Wal(api.disk, walFileDefault, options) : undefined;
    probe.recovery = recover(api.disk, walFileDefault, options);
    probe.wal ??= new Wal(api.disk, walFileDefault, options);
  };
  return {
    onStart: start,
    onRecover: start,
    onMessage() {},
    onDisk(completion) {
      const wal = probe.wal!;
      assert.ok(wal.owns(completion), `a completion for ${completion.file} is not the WAL's`);
      if (completion.op === "write") {
        if (!completion.ok) probe.failedWrites.push(completion.file);
        return;
      }
      if (completion.tag !== compactionTag) {
        probe.syncedTags.push(completion.tag);
      } else if (probe.holdCompaction) {
        probe.heldCompaction = completion;
      } else {
        probe.compactionResults.push(wal.finishCompaction(completion));
      }
    },
  };
}

function walSimulation(unsyncedOnCrash: UnsyncedOnCrash, seed = 1, options: WalOptions = {}, constructFirst = false) {
  const sim = new Simulation({ seed, host: { disk: { unsyncedOnCrash } } });
  const probe: Probe = {
    wal: undefined,
    recovery: undefined,
    syncedTags: [],
    compactionResults: [],
    holdCompaction: false,
    heldCompaction: undefined,
    failedWrites: [],
  };
  const node = sim.addNode({ create: (api) => walNode(api, probe, options, constructFirst) });
  sim.run();
  const wal = () => probe.wal!;
  const recovery = () => probe.recovery!;
  const crashAndRestart = () => {
    sim.crash(node);
    sim.restart(node);
    return recovery();
  };
  return { sim, node, probe, wal, recovery, crashAndRestart };
}

function entry(index: number, term = 1, command: unknown = { put: `k${index}`, value: index }): WalEntry {
  return { kind: "entry", term, index, command };
}

function entries(firstIndex: number, lastIndex: number, term = 1): WalEntry[] {
  const result: WalEntry[] = [];
  for (let index = firstIndex; index <= lastIndex; index++) result.push(entry(index, term));
  return result;
}

function hard(term: number, vote: number, commit: number): WalHardState {
  return { kind: "hard", term, vote, commit };
}

function indexes(recovered: WalRecovery): string {
  return recovered.entries.map((e) => `${e.index}@${e.term}`).join(" ");
}

/** Byte ranges [start, end) of each frame of an encoded WAL. */
function frameRanges(bytes: Uint8Array): [number, number][] {
  const ranges: [number, number][] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.length;) {
    const end = offset + walFrameHeaderBytes + view.getUint32(offset, true);
    ranges.push([offset, end]);
    offset = end;
  }
  return ranges;
}

// ---------------------------------------------------------------- CRC-32

Deno.test("crc32 gives the IEEE check values (123456789 -> 0xCBF43926)", () => {
  const text = (s: string) => new TextEncoder().encode(s);
  assert.equal(crc32(text("123456789")), 0xcbf43926);
  assert.equal(crc32(text("")), 0);
  assert.equal(crc32(text("a")), 0xe8b7be43);
  assert.equal(crc32(text("The quick brown fox jumps over the lazy dog")), 0x414fa339);
  assert.equal(crc32(new Uint8Array(32)), 0x190a55ad);
  assert.equal(crc32(new Uint8Array(32).fill(0xff)), 0xff6cab0b);
  assert.equal(crc32(text("xx123456789yy"), 2, 11), 0xcbf43926, "a sub-range is checksummed alone");
  assert.throws(() => crc32(new Uint8Array(4), 2, 8), RangeError);
});

// ---------------------------------------------------------------- durability across crashes

for (const policy of ["lose", "torn", "keep", "random"] as const) {
  Deno.test(`wal: records appended and synced survive a crash and recover in order (unsyncedOnCrash ${policy})`, () => {
    const { sim, wal, probe, crashAndRestart } = walSimulation(policy);
    assert.equal(wal().append([hard(1, 0, 0), ...entries(1, 3)]) > 0, true);
    wal().append([entry(4), hard(2, -1, 3)]);
    wal().sync("synced");
    const bytesSynced = wal().bytes;
    wal().sync("again"); // a second sync with nothing new is harmless
    sim.run();
    assert.deepEqual(probe.syncedTags, ["synced", "again"]);
    const recovered = crashAndRestart();
    assert.equal(indexes(recovered), "1@1 2@1 3@1 4@1");
    assert.deepEqual(recovered.entries[2].command, { put: "k3", value: 3 });
    assert.deepEqual(recovered.hardState, hard(2, -1, 3));
    assert.equal(recovered.snapshot, undefined);
    assert.equal(recovered.recordCount, 6);
    assert.deepEqual([recovered.validBytes, recovered.tornTailBytes], [bytesSynced, 0]);
  });
}

Deno.test("wal: unsynced records are lost at a crash with policy lose, and kept with policy keep", () => {
  for (const policy of ["lose", "keep"] as const) {
    const { sim, node, wal, crashAndRestart } = walSimulation(policy);
    wal().append(entries(1, 2));
    wal().sync("a");
    sim.run();
    wal().append(entries(3, 4)); // lands in the page cache, never fsynced
    sim.run();
    assert.ok(sim.files(node).size("wal") > sim.files(node).durableLength("wal"), "the tail should be unsynced");
    const recovered = crashAndRestart();
    assert.equal(indexes(recovered), policy === "lose" ? "1@1 2@1" : "1@1 2@1 3@1 4@1", policy);
    assert.equal(recovered.tornTailBytes, 0, policy);
  }
});

Deno.test("wal: a torn last record (policy torn) is cut at recovery and reported; later appends stay readable", () => {
  const { sim, node, wal, crashAndRestart } = walSimulation("torn");
  wal().append([hard(1, 0, 0), ...entries(1, 2)]);
  wal().sync("a");
  sim.run();
  const syncedBytes = wal().bytes;
  wal().append([entry(3, 1, "a command long enough to tear somewhere inside it")]);
  sim.run();
  const recovered = crashAndRestart();
  assert.equal(indexes(recovered), "1@1 2@1");
  assert.equal(recovered.validBytes, syncedBytes);
  assert.ok(recovered.tornTailBytes > 0, "the tear should leave part of entry 3");
  assert.match(recovered.tornTailReason!, /runs past the end of the file|fewer than a frame header/);
  assert.equal(sim.files(node).size("wal"), syncedBytes, "recovery truncates the torn tail");
  // Without the cut, this append would sit behind the torn bytes and every later record would be misread.
  wal().append([entry(3, 2), entry(4, 2), hard(2, 1, 4)]);
  wal().sync("b");
  sim.run();
  const again = crashAndRestart();
  assert.equal(indexes(again), "1@1 2@1 3@2 4@2");
  assert.deepEqual(again.hardState, hard(2, 1, 4));
  assert.equal(again.tornTailBytes, 0);
});

Deno.test("wal: a writer built before recovery cut a torn tail counts from the cut (append, then compaction)", () => {
  const { sim, node, probe, wal, crashAndRestart } = walSimulation("torn", 1, {}, true);
  wal().append(entries(1, 2));
  wal().sync("a");
  sim.run();
  wal().append([entry(3, 1, "torn at the crash")]);
  sim.run();
  assert.ok(crashAndRestart().tornTailBytes > 0);
  wal().append([entry(3, 2)]);
  assert.equal(wal().bytes, sim.files(node).size("wal") + encodeRecords([entry(3, 2)]).length);
  wal().startCompaction({ keepFromIndex: 1, tag: compactionTag });
  sim.run();
  assert.deepEqual(probe.compactionResults, [true]);
  assert.equal(indexes(crashAndRestart()), "1@1 2@1 3@2");
});

Deno.test("wal: a torn batch leaves a whole-record prefix of it at recovery (20 seeds)", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const { sim, wal, crashAndRestart } = walSimulation("torn", seed);
    wal().append(entries(1, 3));
    wal().sync("a");
    sim.run();
    const syncedBytes = wal().bytes;
    wal().append(entries(4, 12));
    sim.run();
    const appendedBytes = wal().bytes;
    const recovered = crashAndRestart();
    const lastIndex = recovered.entries.length;
    assert.ok(lastIndex >= 3 && lastIndex < 12, `seed ${seed}: ${lastIndex} entries`);
    assert.equal(indexes(recovered), entries(1, lastIndex).map((e) => `${e.index}@1`).join(" "), `seed ${seed}`);
    assert.ok(recovered.validBytes >= syncedBytes && recovered.validBytes < appendedBytes, `seed ${seed}`);
    wal().append([entry(lastIndex + 1, 2)]);
    wal().sync("b");
    sim.run();
    assert.equal(crashAndRestart().entries.at(-1)!.index, lastIndex + 1, `seed ${seed}: append after the cut`);
  }
});

// ---------------------------------------------------------------- corruption

Deno.test("wal: a bit flip in the middle of the WAL makes recovery refuse to start, naming the offset (20 seeds)", () => {
  const messages = new Set<string>();
  for (let seed = 1; seed <= 20; seed++) {
    const { sim, node, wal } = walSimulation("lose", seed);
    wal().append([hard(1, 0, 2), ...entries(1, 4)]);
    wal().sync("a");
    sim.run();
    sim.crash(node);
    const [start, end] = frameRanges(sim.files(node).read("wal"))[2]; // entry 2, with records after it
    sim.corruptFile(node, "wal", { fromByte: start, toByte: end });
    assert.throws(
      () => sim.restart(node),
      (error: unknown) => {
        assert.ok(error instanceof WalCorruptionError, `seed ${seed}: ${error}`);
        assert.equal(error.offset, start, `seed ${seed}: ${error.message}`);
        assert.equal(error.file, "wal");
        assert.match(error.message, new RegExp(`"wal" is corrupt at byte offset ${start}: `));
        messages.add(error.reason.replace(/\b(0x[0-9A-F]+|\d+)\b/g, "N"));
        return true;
      },
    );
  }
  // The flips land in lengths, CRCs and payloads alike: each way of being wrong is named.
  assert.ok(messages.size >= 2, [...messages].join("; "));
});

Deno.test("wal: a bit flip in the last record's CRC or payload is treated as a torn tail (20 seeds)", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const { sim, node, wal, crashAndRestart } = walSimulation("lose", seed);
    wal().append(entries(1, 5));
    wal().sync("a");
    sim.run();
    const [start, end] = frameRanges(sim.files(node).read("wal")).at(-1)!;
    sim.corruptFile(node, "wal", { fromByte: start + 4, toByte: end });
    const recovered = crashAndRestart();
    assert.equal(indexes(recovered), "1@1 2@1 3@1 4@1", `seed ${seed}`);
    assert.deepEqual([recovered.validBytes, recovered.tornTailBytes], [start, end - start], `seed ${seed}`);
    assert.match(recovered.tornTailReason!, /CRC mismatch/);
  }
});

Deno.test("wal: a record length above the maximum is corruption even at the end of the file", () => {
  const bytes = encodeRecords(entries(1, 2));
  const [start] = frameRanges(bytes)[1];
  new DataView(bytes.buffer).setUint32(start, 0xfffffff0, true);
  assert.throws(
    () => replayWal(bytes),
    (error: unknown) =>
      error instanceof WalCorruptionError && error.offset === start &&
      /record length 4294967280 is outside \[17, 16777216\]/.test(error.message),
  );
  const zeros = new Uint8Array(64); // a zero length is no record either
  assert.throws(
    () => replayWal(zeros, { file: "wal-zeros" }),
    /"wal-zeros" is corrupt at byte offset 0: record length 0/,
  );
});

Deno.test("wal: an oversize record is refused on write, and on read above the configured maximum", () => {
  const { sim, node, wal } = walSimulation("lose", 1, { recordBytesMax: 1024 });
  const big = entry(1, 1, "x".repeat(2000));
  assert.throws(
    () => wal().append([entry(1), big]),
    (error: unknown) =>
      error instanceof WalRecordTooLargeError && error.recordBytesMax === 1024 &&
      /entry 1: 20\d\d bytes/.test(error.message),
  );
  sim.run();
  assert.equal(sim.files(node).size("wal"), 0, "nothing of the refused batch reached the disk");
  assert.equal(wal().bytes, 0);
  const written = encodeRecords([big]);
  assert.throws(() => replayWal(written, { recordBytesMax: 1024 }), /record length 20\d\d is outside \[17, 1024\]/);
  assert.equal(replayWal(written).entries.length, 1);
});

Deno.test("wal: recovery of a missing file is an empty log", () => {
  const { recovery } = walSimulation("lose");
  assert.deepEqual(recovery(), {
    hardState: undefined,
    entries: [],
    snapshot: undefined,
    recordCount: 0,
    validBytes: 0,
    tornTailBytes: 0,
    tornTailReason: undefined,
  });
});

// ---------------------------------------------------------------- replay semantics

function replay(records: WalRecord[]): WalRecovery {
  return replayWal(encodeRecords(records));
}

Deno.test("wal: an entry at an index the log holds overwrites it and truncates everything after it (§5.3)", () => {
  const overwritten = replay([...entries(1, 5), entry(3, 2), hard(2, 1, 2)]);
  assert.equal(indexes(overwritten), "1@1 2@1 3@2");
  assert.equal(indexes(replay([...entries(1, 5), entry(3, 2), entry(4, 2)])), "1@1 2@1 3@2 4@2");
  assert.equal(indexes(replay([...entries(1, 3), entry(1, 3), entry(2, 3)])), "1@3 2@3");
  assert.deepEqual(replay([hard(1, 0, 0), hard(3, 2, 1)]).hardState, hard(3, 2, 1), "the last hard state wins");
});

Deno.test("wal: an entry that leaves a gap in the log is corruption, named by its offset", () => {
  const bytes = encodeRecords([entry(1), entry(3)]);
  const [start] = frameRanges(bytes)[1];
  assert.throws(
    () => replayWal(bytes),
    (error: unknown) =>
      error instanceof WalCorruptionError && error.offset === start &&
      /entry 3 leaves a gap after entry 1/.test(error.reason),
  );
  assert.throws(() => replay([entry(2)]), /entry 2 leaves a gap after an empty log without a snapshot/);
  const snapshot: WalSnapshotMarker = { kind: "snapshot", index: 5, term: 1 };
  assert.throws(
    () => replay([snapshot, entry(4), entry(5), entry(3)]),
    /entry 3 lies below the first retained entry 4/,
  );
});

Deno.test("wal: a snapshot marker keeps a log that holds its last entry, and supersedes one that does not (§7)", () => {
  const at = (index: number, term: number): WalSnapshotMarker => ({ kind: "snapshot", index, term });
  const kept = replay([...entries(1, 6), at(4, 1), entry(7)]);
  assert.equal(indexes(kept), "1@1 2@1 3@1 4@1 5@1 6@1 7@1");
  assert.deepEqual(kept.snapshot, at(4, 1));
  assert.equal(
    indexes(replay([...entries(1, 6), at(4, 2), entry(5, 2)])),
    "5@2",
    "a conflicting term discards the log",
  );
  assert.equal(indexes(replay([...entries(1, 3), at(9, 2), entry(10, 2)])), "10@2", "a snapshot past the log");
  assert.equal(indexes(replay([at(5, 1), ...entries(3, 7), at(5, 1), at(7, 1)])), "3@1 4@1 5@1 6@1 7@1");
  assert.throws(
    () => replay([...entries(1, 6), at(4, 1), at(3, 1)]),
    /snapshot marker 3 is older than the previous marker 4/,
  );
  assert.throws(() => replay([at(4, 1), at(4, 2)]), /snapshot marker 4 changes its term from 1 to 2/);
});

// ---------------------------------------------------------------- compaction

Deno.test("wal: compaction keeps entries from the given index; appends during it are held back, then land", () => {
  const { sim, node, probe, wal, crashAndRestart } = walSimulation("lose");
  wal().append([hard(1, 0, 8), ...entries(1, 10)]);
  wal().sync("a");
  sim.run();
  const bytesBefore = wal().bytes;
  const plan = wal().startCompaction({
    keepFromIndex: 6,
    hardState: hard(1, 0, 9),
    snapshot: { kind: "snapshot", index: 7, term: 1 },
    tag: compactionTag,
  });
  assert.deepEqual([plan.bytesBefore, plan.entriesKept], [bytesBefore, 5]);
  assert.ok(wal().compacting);
  wal().append([entry(11)]);
  wal().sync("after");
  assert.equal(sim.files(node).size("wal"), bytesBefore, "held back while the compaction runs");
  sim.run();
  assert.deepEqual(probe.compactionResults, [true]);
  assert.deepEqual(probe.syncedTags, ["a", "after"]);
  assert.equal(wal().compactions, 1);
  assert.equal(wal().compacting, false);
  assert.equal(sim.files(node).exists("wal.tmp"), false);
  assert.equal(sim.files(node).size("wal"), wal().bytes);
  assert.ok(wal().bytes < bytesBefore, `${wal().bytes} bytes after, ${bytesBefore} before`);
  const recovered = crashAndRestart();
  assert.equal(indexes(recovered), "6@1 7@1 8@1 9@1 10@1 11@1");
  assert.deepEqual(recovered.snapshot, { kind: "snapshot", index: 7, term: 1 });
  assert.deepEqual(recovered.hardState, hard(1, 0, 9));
  assert.equal(recovered.tornTailBytes, 0);
});

Deno.test("wal: a crash between the temp file's fsync and the rename leaves the old WAL recoverable", () => {
  const { sim, node, probe, wal, crashAndRestart } = walSimulation("lose");
  wal().append([hard(1, 0, 8), ...entries(1, 10)]);
  wal().sync("a");
  sim.run();
  probe.holdCompaction = true;
  wal().startCompaction({ keepFromIndex: 8, snapshot: { kind: "snapshot", index: 8, term: 1 }, tag: compactionTag });
  sim.run();
  assert.ok(probe.heldCompaction !== undefined, "the temp file's fsync completed");
  assert.equal(sim.files(node).durableLength("wal.tmp"), sim.files(node).size("wal.tmp"));
  const recovered = crashAndRestart();
  assert.equal(indexes(recovered), entries(1, 10).map((e) => `${e.index}@1`).join(" "));
  assert.equal(recovered.snapshot, undefined, "the old WAL had no snapshot marker");
  // The next compaction starts the stale temp file afresh.
  probe.holdCompaction = false;
  wal().startCompaction({ keepFromIndex: 8, snapshot: { kind: "snapshot", index: 8, term: 1 }, tag: compactionTag });
  sim.run();
  assert.deepEqual(probe.compactionResults, [true]);
  assert.equal(indexes(crashAndRestart()), "8@1 9@1 10@1");
});

Deno.test("wal: a crash before the temp file's fsync completes leaves the old WAL recoverable", () => {
  const { sim, wal, crashAndRestart } = walSimulation("keep");
  wal().append(entries(1, 4));
  wal().sync("a");
  sim.run();
  wal().startCompaction({ keepFromIndex: 3, snapshot: { kind: "snapshot", index: 2, term: 1 }, tag: compactionTag });
  sim.runFor(1); // the temp write may not even have landed
  assert.equal(indexes(crashAndRestart()), "1@1 2@1 3@1 4@1");
});

Deno.test("wal: an append still in flight when compaction starts is kept in the rewritten WAL", () => {
  const { sim, probe, wal, crashAndRestart } = walSimulation("lose");
  wal().append(entries(1, 3));
  wal().sync("a");
  sim.run();
  wal().append([entry(4)]);
  wal().sync("b"); // issued before the compaction: completes on the old file, before the rename
  const plan = wal().startCompaction({ keepFromIndex: 1, tag: compactionTag });
  assert.equal(plan.entriesKept, 4);
  sim.run();
  assert.deepEqual([probe.compactionResults, probe.syncedTags], [[true], ["a", "b"]]);
  assert.equal(indexes(crashAndRestart()), "1@1 2@1 3@1 4@1");
});

Deno.test("wal: a compaction whose temp write fails on a full disk is abandoned and the old WAL stays", () => {
  const { sim, node, probe, wal, crashAndRestart } = walSimulation("lose");
  wal().append(entries(1, 6));
  wal().sync("a");
  sim.run();
  const bytesBefore = wal().bytes;
  sim.fillDisk(sim.hostOf(node));
  wal().startCompaction({ keepFromIndex: 4, snapshot: { kind: "snapshot", index: 5, term: 1 }, tag: compactionTag });
  sim.run();
  assert.deepEqual([probe.failedWrites, probe.compactionResults], [["wal.tmp"], [false]]);
  assert.equal(sim.files(node).exists("wal.tmp"), false);
  assert.equal(wal().bytes, bytesBefore);
  assert.equal(indexes(crashAndRestart()), "1@1 2@1 3@1 4@1 5@1 6@1");
});

Deno.test("wal: compaction refuses to drop entries no snapshot covers", () => {
  const { sim, wal } = walSimulation("lose");
  wal().append(entries(1, 6));
  sim.run();
  assert.throws(
    () => wal().startCompaction({ keepFromIndex: 5, snapshot: { kind: "snapshot", index: 3, term: 1 }, tag: 1 }),
    /keepFromIndex must be between 1 and 4, got 5/,
  );
  assert.throws(() => wal().startCompaction({ keepFromIndex: 2, tag: 1 }), /keepFromIndex must be between 1 and 1/);
  assert.equal(wal().compacting, false);
});

Deno.test("wal: compaction from entries the caller holds writes the same WAL as compaction by replay", () => {
  const rewritten = (given: boolean) => {
    const { sim, node, wal, crashAndRestart } = walSimulation("lose");
    wal().append([hard(2, 1, 8), ...entries(1, 10, 2)]);
    wal().sync("a");
    sim.run();
    wal().startCompaction({
      keepFromIndex: 6,
      hardState: hard(2, 1, 9),
      snapshot: { kind: "snapshot", index: 7, term: 2 },
      tag: compactionTag,
      entries: given ? entries(4, 10, 2) : undefined,
    });
    sim.run();
    const bytes = sim.files(node).read("wal");
    return { bytes, recovered: indexes(crashAndRestart()) };
  };
  const fromMemory = rewritten(true);
  const fromReplay = rewritten(false);
  assert.deepEqual(fromMemory.bytes, fromReplay.bytes);
  assert.equal(fromMemory.recovered, "6@2 7@2 8@2 9@2 10@2");
});

Deno.test("wal: compaction from given entries refuses a gap", () => {
  const { sim, wal } = walSimulation("lose");
  wal().append(entries(1, 5));
  sim.run();
  assert.throws(
    () =>
      wal().startCompaction({
        keepFromIndex: 2,
        hardState: hard(1, 0, 3),
        snapshot: { kind: "snapshot", index: 3, term: 1 },
        tag: compactionTag,
        entries: [entry(2), entry(4)],
      }),
    /not contiguous at 4/,
  );
});
