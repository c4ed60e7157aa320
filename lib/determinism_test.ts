// Proves the determinism rule holds: lib/ reads no wall clock or unseeded randomness, and the
// example system gives the same trace hash for the same seed (in this process and a fresh one)
// and different hashes for different seeds.
import assert from "node:assert/strict";
import { scanSource, wallClockAllowed } from "./determinism_scan.ts";
import { runEcho } from "./systems/echo/experiments/mod.ts";

const libDir = new URL(".", import.meta.url).pathname;
const quickRun = { durationUs: 1_000_000, clients: 4, crashAtFraction: 0.4, downtimeUs: 300_000 };

async function sourceFiles(dir: string, prefix: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) files.push(...await sourceFiles(`${dir}${entry.name}/`, `${path}/`));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files.sort();
}

Deno.test("the scanner flags the wall clock, unseeded randomness and timing hazards", () => {
  const bad = [
    "const t = Date.now();",
    "const r = Math.random();",
    "const d = new Date();",
    "const p = performance.now();",
    "setTimeout(() => {}, 10);",
    "const rng = seedrandom();",
    "crypto.randomUUID();",
    "new WeakRef(x);",
    "await Promise.race([a, b]);",
    "for await (const e of Deno.readDir('.')) {}",
  ];
  for (const line of bad) assert.equal(scanSource(line, "lib/x.ts").length, 1, line);
  assert.equal(scanSource("// Date.now is forbidden here", "lib/x.ts").length, 0, "comments are not code");
  assert.equal(scanSource("const t = Date.now(); // wall-clock ok", "lib/x.ts").length, 0, "marked lines pass");
  assert.equal(scanSource("const next = rng.next();", "lib/x.ts").length, 0);
});

Deno.test("lib/ reads no wall clock and draws no unseeded randomness outside lib/cli and lib/bench", async () => {
  // The rule covers the library; tests may wait on real processes (a sweep killed mid-way).
  const files = await sourceFiles(libDir, "lib/");
  assert.ok(files.length > 10, `expected to scan the library, found ${files.length} files`);
  const scanned = files.filter((path) =>
    !path.endsWith("_test.ts") &&
    !wallClockAllowed.some((dir) => path.startsWith(dir)) &&
    !["lib/determinism_test.ts", "lib/determinism_scan.ts"].includes(path)
  );
  const findings = [];
  for (const path of scanned) {
    findings.push(...scanSource(await Deno.readTextFile(`${libDir}${path.slice(4)}`), path));
  }
  assert.deepEqual(findings.map((f) => `${f.path}:${f.line}: ${f.text} (${f.why})`), []);
});

Deno.test("20 seeds run twice give identical hashes per seed and different hashes across seeds", () => {
  const hashes = new Map<number, string>();
  for (let seed = 1; seed <= 20; seed++) {
    const first = runEcho(quickRun, seed);
    const second = runEcho(quickRun, seed);
    assert.ok(first.events > 1000, `seed ${seed} ran only ${first.events} events`);
    assert.equal(second.hash, first.hash, `seed ${seed} gave two different runs`);
    assert.equal(second.events, first.events);
    assert.deepEqual(second.summary, first.summary);
    hashes.set(seed, first.hash);
  }
  assert.equal(new Set(hashes.values()).size, 20, "two seeds gave the same run");
});

Deno.test("a fresh process gives the same hash for a seed as this one", async () => {
  const expected = runEcho(quickRun, 11).hash;
  const module = new URL("./systems/echo/experiments/mod.ts", import.meta.url).href;
  const code = `import { runEcho } from "${module}"; console.log(runEcho(${JSON.stringify(quickRun)}, 11).hash);`;
  const output = await new Deno.Command(Deno.execPath(), { args: ["eval", code], stderr: "inherit" }).output();
  assert.ok(output.success, "the child process failed");
  assert.equal(new TextDecoder().decode(output.stdout).trim(), expected);
});
