// Proves the WAL keeps the bytes of appends that have not landed, in the one buffer it reuses, so a
// compaction that replays the WAL while several appends are in flight (some landed, some not)
// rewrites every record, and what lands is exactly what was appended though the encoding buffer
// is overwritten by the next append.
import assert from "node:assert/strict";
import { type DiskCompletion, Simulation } from "../../sim/mod.ts";
import { recover, Wal, type WalEntry, type WalRecovery } from "./wal/mod.ts";

function entry(index: number): WalEntry {
  return { kind: "entry", term: 1, index, command: { put: `k${index}`, value: "v".repeat(index % 50) } };
}

Deno.test("wal: compaction by replay with appends in flight, some landed and some not, keeps every entry", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const sim = new Simulation({ seed, host: { disk: { unsyncedOnCrash: "lose" } } });
    let wal: Wal | undefined;
    let recovered: WalRecovery | undefined;
    let writesLanded = 0;
    const compactions: boolean[] = [];
    const node = sim.addNode({
      create: (api) => ({
        onStart: () => {
          recovered = recover(api.disk);
          wal = new Wal(api.disk);
        },
        onRecover: () => {
          recovered = recover(api.disk);
          wal = new Wal(api.disk);
        },
        onMessage() {},
        onDisk(completion: DiskCompletion) {
          if (completion.op === "write" && completion.file === wal!.file) writesLanded++;
          if (completion.tag === "compaction") compactions.push(wal!.finishCompaction(completion));
        },
      }),
    });
    sim.run();
    let index = 0;
    for (let batch = 0; batch < 6; batch++) wal!.append([entry(++index), entry(++index)]);
    sim.run({ until: () => writesLanded >= 3 });
    for (let batch = 0; batch < 4; batch++) wal!.append([entry(++index)]);
    assert.ok(writesLanded >= 3 && writesLanded < 10, "some appends have landed and some are in flight");
    assert.equal(wal!.startCompaction({ keepFromIndex: 1, tag: "compaction" }).entriesKept, index);
    wal!.append([entry(++index)]); // held back during the compaction
    wal!.sync("durable");
    sim.run();
    assert.deepEqual(compactions, [true]);
    sim.crash(node);
    sim.restart(node);
    assert.deepEqual(recovered!.entries, Array.from({ length: index }, (_, i) => entry(i + 1)), `seed ${seed}`);
  }
});
