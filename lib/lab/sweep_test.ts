// Proves sweeps keep every result safely: cells come out in a fixed order whatever order they
// finish in, a finished cell is reused rather than recomputed, a sweep killed mid-way resumes
// and ends with the same table as an uninterrupted one, and bad sweep input is refused.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { parseList, parseRange, parseSeeds, sweepCells } from "./cells.ts";
import { experimentNamed } from "./registry.ts";
import { runSweep } from "./sweep.ts";
import { runCell } from "./worker.ts";

const libDir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const mainModule = new URL("../cli/main.ts", import.meta.url).pathname;
const clock = () => performance.now();

Deno.test("grid, zip and seeds give cells in a fixed order with distinct keys", () => {
  const schema = experimentNamed("echo").params;
  const cells = sweepCells(
    {
      experiment: "echo",
      grid: { clients: [1, 2] },
      zip: { servers: [3, 5], timeoutUs: [10000, 20000] },
      seeds: [7, 8],
    },
    schema,
    "v1",
  );
  assert.deepEqual(cells.map((c) => [c.params.clients, c.params.servers, c.params.timeoutUs, c.seed]), [
    [1, 3, 10000, 7],
    [1, 3, 10000, 8],
    [1, 5, 20000, 7],
    [1, 5, 20000, 8],
    [2, 3, 10000, 7],
    [2, 3, 10000, 8],
    [2, 5, 20000, 7],
    [2, 5, 20000, 8],
  ]);
  assert.equal(new Set(cells.map((c) => c.key)).size, 8);
  const again = sweepCells(
    {
      experiment: "echo",
      grid: { clients: [1, 2] },
      zip: { servers: [3, 5], timeoutUs: [10000, 20000] },
      seeds: [7, 8],
    },
    schema,
    "v2",
  );
  assert.notEqual(again[0].key, cells[0].key, "a new code version does not reuse old results");
});

Deno.test("bad sweep input is refused naming what is allowed", () => {
  const schema = experimentNamed("echo").params;
  assert.throws(
    () => sweepCells({ experiment: "echo", grid: { client: [1] }, seeds: [1] }, schema, "v"),
    /unknown parameter "client" \(did you mean clients\?\)/,
  );
  assert.throws(
    () => sweepCells({ experiment: "echo", grid: { clients: [0] }, seeds: [1] }, schema, "v"),
    /clients must be in \[1, 1000\]/,
  );
  assert.throws(
    () => sweepCells({ experiment: "echo", zip: { clients: [1, 2], servers: [3] }, seeds: [1] }, schema, "v"),
    /one length/,
  );
  assert.throws(() => parseSeeds("5..2"), InputError);
  assert.deepEqual(parseSeeds("3..5"), [3, 4, 5]);
  assert.deepEqual(parseSeeds("1,4"), [1, 4]);
  assert.throws(() => parseList("clients", "--grid"), /--grid takes NAME=V1,V2/);
});

Deno.test("a sweep on two workers gives the table a single worker gives, and a re-run reuses every cell", async () => {
  const base = await Deno.makeTempDir();
  const spec = { experiment: "echo", grid: { clients: [2, 6] }, fixed: { durationUs: 600_000 }, seeds: [1, 2, 3] };
  const two = await runSweep(
    spec,
    { dir: `${base}/a`, cacheDir: `${base}/cache-a`, workers: 2, wallClockMs: clock },
    libDir,
  );
  const one = await runSweep(
    spec,
    { dir: `${base}/b`, cacheDir: `${base}/cache-b`, workers: 1, wallClockMs: clock },
    libDir,
  );
  assert.deepEqual(two.rows.map((r) => [r.cell, r.traceHash]), one.rows.map((r) => [r.cell, r.traceHash]));
  assert.equal(two.rows.length, 6);
  const again = await runSweep(
    spec,
    { dir: `${base}/a`, cacheDir: `${base}/cache-a`, workers: 2, wallClockMs: clock },
    libDir,
  );
  assert.equal(again.cached, 6);
  assert.deepEqual(again.rows, two.rows);
  const forced = await runSweep(spec, {
    dir: `${base}/a`,
    cacheDir: `${base}/cache-a`,
    force: true,
    workers: 2,
    wallClockMs: clock,
  }, libDir);
  assert.equal(forced.cached, 0);
  const csv = (await Deno.readTextFile(`${base}/a/results.csv`)).trim().split("\n");
  assert.equal(csv.length, 7);
  assert.ok((await Deno.stat(`${base}/a/results.arrow`)).size > 0);
  await Deno.remove(base, { recursive: true });
});

Deno.test("a failed check keeps the cell's history; an exception in a run is a recorded row, not the end of the sweep", async () => {
  const base = await Deno.makeTempDir();
  const spec = {
    experiment: "echo",
    grid: { bug: ["ackBeforeFsync"] },
    fixed: { clients: 40, durationUs: 2_000_000, thinkTimeUsMean: 1000 },
    seeds: [1, 2],
  };
  const result = await runSweep(
    spec,
    { dir: `${base}/s`, cacheDir: `${base}/c`, workers: 2, wallClockMs: clock },
    libDir,
  );
  assert.ok(result.failures > 0);
  for (const row of result.rows.filter((r) => r.verdict !== true)) {
    const history = await Deno.readTextFile(`${base}/s/histories/${row.key}.jsonl`);
    assert.ok(history.includes('"process":"nemesis"'));
  }
  await Deno.remove(base, { recursive: true });
});

Deno.test("a sweep killed mid-way resumes with --resume, skips finished cells and ends with the uninterrupted table", async () => {
  const base = await Deno.makeTempDir();
  const args = (dir: string, cache: string, extra: string[]) => [
    "run",
    "-A",
    mainModule,
    "sweep",
    "echo",
    "--grid",
    "clients=20,40",
    "--param",
    "durationUs=8000000",
    "--seeds",
    "1..6",
    "--workers",
    "1",
    "--out",
    dir,
    "--cache",
    cache,
    "--json",
    ...extra,
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args: args(`${base}/s`, `${base}/c`, []),
    stdout: "null",
    stderr: "null",
  })
    .spawn();
  // A kill between a cache entry's write and its rename leaves a temporary file: not an entry.
  const isEntry = (name: string) => name.endsWith(".json") && !name.startsWith(".faultline-tmp-");
  const countCached = async () => {
    let n = 0;
    for await (const entry of Deno.readDir(`${base}/c`)) if (isEntry(entry.name)) n++;
    return n;
  };
  for (let i = 0; i < 600; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (await countCached().catch(() => 0) >= 3) break;
  }
  try {
    child.kill("SIGKILL");
  } catch { /* it finished first: the count below says so */ }
  await child.status;
  const finishedBefore = await countCached();
  assert.ok(finishedBefore >= 3 && finishedBefore < 12, `killed after ${finishedBefore} of 12 cells`);
  await assert.rejects(Deno.stat(`${base}/s/results.csv`), "no results table before the sweep completes");
  for await (const entry of Deno.readDir(`${base}/c`)) {
    if (isEntry(entry.name)) JSON.parse(await Deno.readTextFile(`${base}/c/${entry.name}`)); // whole files only
  }
  const resumed = await new Deno.Command(Deno.execPath(), {
    args: args(`${base}/s`, `${base}/c`, ["--resume"]),
    stderr: "null",
  }).output();
  assert.equal(resumed.code, 0);
  const result = JSON.parse(new TextDecoder().decode(resumed.stdout));
  assert.equal(result.cached, finishedBefore, "finished cells are not run again");
  const fresh = await new Deno.Command(Deno.execPath(), { args: args(`${base}/f`, `${base}/c2`, []), stderr: "null" })
    .output();
  const uninterrupted = JSON.parse(new TextDecoder().decode(fresh.stdout));
  assert.deepEqual(result.rows, uninterrupted.rows);
  for await (const entry of Deno.readDir(`${base}/c`)) {
    assert.ok(!entry.name.includes(".tmp"), `leftover ${entry.name}`);
  }
  const nothing = await new Deno.Command(Deno.execPath(), {
    args: args(`${base}/none`, `${base}/c`, ["--resume"]),
    stderr: "piped",
  }).output();
  assert.equal(nothing.code, 2);
  assert.match(new TextDecoder().decode(nothing.stderr), /holds no sweep to resume/);
  await Deno.remove(base, { recursive: true });
});

Deno.test("random samples are drawn from their seed within their ranges, integers rounded", () => {
  const schema = experimentNamed("echo").params;
  const spec = {
    experiment: "echo",
    sample: {
      count: 20,
      seed: 4,
      ranges: { clients: [2, 20] as [number, number], serviceTimeUsMean: [50, 500] as [number, number] },
    },
    seeds: [1],
  };
  const cells = sweepCells(spec, schema, "v");
  assert.equal(cells.length, 20);
  for (const cell of cells) {
    assert.ok(
      Number.isInteger(cell.params.clients) && (cell.params.clients as number) >= 2 &&
        (cell.params.clients as number) <= 20,
    );
    assert.ok((cell.params.serviceTimeUsMean as number) >= 50 && (cell.params.serviceTimeUsMean as number) < 500);
  }
  assert.deepEqual(sweepCells(spec, schema, "v"), cells, "same sample seed, same points");
  assert.throws(() => parseRange("clients=9..3"), /MIN <= MAX/);
});

Deno.test("an exception inside a run becomes a row with its error, not the end of the sweep", async () => {
  const reply = await runCell({ index: 3, experiment: "no-such-experiment", params: {}, seed: 1, keepHistory: false });
  assert.equal(reply.index, 3);
  assert.equal(reply.verdict, false);
  assert.match(reply.error!, /InputError: unknown experiment "no-such-experiment"/);
});

Deno.test("a cell keeps its history packed as a run does: plain when short, gzipped when long", async () => {
  const reply = await runCell({ index: 0, experiment: "echo", params: {}, seed: 1, keepHistory: true });
  assert.equal(reply.history?.name, "history.jsonl");
  const text = reply.history!.content as string;
  assert.ok(text.split("\n").length > 10 && text.includes('"process"'), "a JSON Lines history");
});

Deno.test("a worker that cannot start ends its cells in internal errors, not violations, and the sweep still finishes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await runSweep({ experiment: "echo", fixed: { durationUs: 200_000 }, seeds: [1, 2, 3] }, {
      dir: `${dir}/sweep`,
      cacheDir: `${dir}/cache`,
      workers: 1,
      wallClockMs: clock,
      workerModule: new URL("./_broken_worker_testing.ts", import.meta.url),
    }, libDir);
    assert.equal(result.failures, 0, "a broken worker is not a violation");
    assert.deepEqual(result.errors.map((e) => e.kind), ["internal", "internal", "internal"]);
    assert.match(result.errors[0].message, /worker failed: .*this worker cannot start/);
    const cached = [...Deno.readDirSync(`${dir}/cache`)].filter((e) => e.name.endsWith(".json"));
    assert.deepEqual(cached, [], "nothing without a verdict is cached");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
