// Proves histories stream to and from files: what is written in chunks, at once or event by event
// as a run goes, reads back event for event, and a malformed line in a file is reported with the
// file and line.
import assert from "node:assert/strict";
import { History } from "./history.ts";
import { HistoryFileSink, readHistory, writeHistory } from "./stream.ts";

Deno.test("a history written in chunks reads back event for event", async () => {
  const history = new History();
  for (let i = 0; i < 5000; i++) {
    const op = history.invoke({ process: i % 7, f: "put", key: `k${i % 13}`, value: `v${i}`, time: 2 * i });
    history.complete(op, "ok", `v${i}`, 2 * i + 1);
  }
  const dir = await Deno.makeTempDir();
  assert.equal(await writeHistory(`${dir}/h.jsonl`, history.events), 10_000);
  const read = [];
  for await (const op of readHistory(`${dir}/h.jsonl`)) read.push(op);
  assert.deepEqual(read, history.events);
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  assert.deepEqual(names, ["h.jsonl"], "no temporary file is left behind");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("reading a file names the file and line of a malformed event", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/bad.jsonl`,
    '{"process":0,"type":"invoke","f":"read","value":null}\n\n{"process":0}\n',
  );
  await assert.rejects(async () => {
    for await (const _ of readHistory(`${dir}/bad.jsonl`)) { /* read on */ }
  }, /bad\.jsonl:3: type must be one of invoke, ok, fail, info/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a gzipped history (history.jsonl.gz, as a run keeps a long one) reads back event for event; a damaged one is named", async () => {
  const history = new History();
  for (let i = 0; i < 2000; i++) {
    const op = history.invoke({ process: i % 3, f: "put", key: "k", value: `v${i}`, time: 2 * i });
    history.complete(op, "ok", `v${i}`, 2 * i + 1);
  }
  const dir = await Deno.makeTempDir();
  await writeHistory(`${dir}/h.jsonl`, history.events);
  const text = await Deno.readFile(`${dir}/h.jsonl`);
  const packed = new Uint8Array(
    await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
  await Deno.writeFile(`${dir}/h.jsonl.gz`, packed);
  const read = [];
  for await (const op of readHistory(`${dir}/h.jsonl.gz`)) read.push(op);
  assert.deepEqual(read, history.events);
  await Deno.writeFile(`${dir}/cut.jsonl.gz`, packed.slice(0, packed.length / 2));
  await assert.rejects(async () => {
    for await (const _ of readHistory(`${dir}/cut.jsonl.gz`)) { /* read on */ }
  }, /cut\.jsonl\.gz: it is not valid gzip after line \d+/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a file sink streams a run's events as they happen; what it wrote reads back event for event", async () => {
  const dir = await Deno.makeTempDir();
  const sink = new HistoryFileSink(`${dir}/h.jsonl`);
  const history = new History({ retain: "faults", sink });
  const kept = new History();
  for (let i = 0; i < 5000; i++) {
    for (const h of [history, kept]) {
      const op = h.invoke({ process: i % 7, f: "put", key: `k${i % 13}`, value: `v${i}`, time: 2 * i });
      h.complete(op, "ok", `v${i}`, 2 * i + 1);
    }
  }
  assert.equal(sink.count, 10_000);
  assert.equal(sink.close(), 10_000);
  assert.throws(() => sink.write(kept.events[0]), /after it was closed/);
  const read = [];
  for await (const op of readHistory(`${dir}/h.jsonl`)) read.push(op);
  assert.deepEqual(read, kept.events);
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  assert.deepEqual(names, ["h.jsonl"], "no temporary file is left behind");
  await Deno.remove(dir, { recursive: true });
});
