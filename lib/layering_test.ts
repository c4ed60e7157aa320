// Proves the layering rule holds: every import in lib/ and in the notebooks stays inside its layer
// and goes through the imported folder's mod.ts, except the pending moves, each of which must
// still be a violation; and proves the scan catches a forbidden import, naming file, line and rule.
import assert from "node:assert/strict";
import { formatFinding, judge, pendingMoves, readImports, scanFiles, testSupport } from "./layering_scan.ts";

const root = new URL("..", import.meta.url).pathname;

async function sourceFiles(dir: string, prefix: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) { // order-safe: sorted below
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) files.push(...await sourceFiles(`${dir}${entry.name}/`, `${path}/`));
    else if (entry.name.endsWith(".ts") || entry.name.endsWith(".ipynb")) files.push(path);
  }
  return files.sort();
}

async function repositoryFiles(): Promise<Map<string, string>> {
  const paths = [...await sourceFiles(`${root}lib/`, "lib/"), ...await sourceFiles(`${root}notebooks/`, "notebooks/")];
  const files = new Map<string, string>();
  for (const path of paths) files.set(path, await Deno.readTextFile(`${root}${path}`));
  return files;
}

Deno.test("readImports reads static, re-exported, side-effect, dynamic and worker imports, not comments or strings", () => {
  const source = [
    'import { a } from "./a.ts";', // 1
    'import type { B } from "./b.ts";', // 2
    "import {", // 3
    "  c,",
    '} from "./c.ts";', // 5
    'export * from "./d.ts";', // 6
    'export type { E } from "./e.ts";', // 7
    'import "./f.ts";', // 8
    'const g = await import("./g.ts");', // 9
    'new Worker(new URL("./h.ts", import.meta.url), { type: "module" });', // 10
    '// import { x } from "./comment.ts";',
    '/** @example import { y } from "./jsdoc.ts"; */',
    'const text = `import { z } from "./template.ts"`;',
    "const quoted = 'import { w } from \"./string.ts\"';",
    'const pattern = /import "x"/;',
    'export const from = "./not-an-import.ts";',
    "const computed = await import(`./${name}.ts`);",
  ].join("\n");
  assert.deepEqual(readImports(source), [
    { specifier: "./a.ts", line: 1, typeOnly: false },
    { specifier: "./b.ts", line: 2, typeOnly: true },
    { specifier: "./c.ts", line: 5, typeOnly: false },
    { specifier: "./d.ts", line: 6, typeOnly: false },
    { specifier: "./e.ts", line: 7, typeOnly: true },
    { specifier: "./f.ts", line: 8, typeOnly: false },
    { specifier: "./g.ts", line: 9, typeOnly: false },
    { specifier: "./h.ts", line: 10, typeOnly: false },
  ]);
});

Deno.test("the scan names the file, line and rule of each forbidden import", () => {
  const files = new Map([
    ["lib/sim/mod.ts", 'export * from "./clock.ts";'],
    ["lib/sim/clock.ts", '// The clock.\n\nimport { latencyHistogram } from "../metrics/mod.ts";'],
    ["lib/metrics/mod.ts", 'export * from "./latency.ts";'],
    ["lib/check/mod.ts", 'export * from "./session.ts";'],
    [
      "lib/check/session.ts",
      'import type { Op } from "../history/mod.ts";\nimport { Simulation } from "../sim/mod.ts";',
    ],
    ["lib/history/mod.ts", ""],
    ["lib/faults/mod.ts", ""],
    ["lib/systems/demo/mod.ts", 'export * from "./node.ts";'],
    [
      "lib/systems/demo/node.ts",
      'import type { NodeApi } from "../../sim/mod.ts";\nimport { crash } from "../../faults/mod.ts";\n' +
      'import { Rng } from "../../sim/mod.ts";\nimport type { Clock } from "../../sim/clock.ts";\n' +
      'import * as ss from "simple-statistics";',
    ],
  ]);
  assert.deepEqual(scanFiles(files).map(formatFinding), [
    'lib/check/session.ts:2: "../sim/mod.ts": the checkers (lib/check/) may not import the kernel (lib/sim/)',
    'lib/sim/clock.ts:3: "../metrics/mod.ts": the kernel (lib/sim/) may not import lib/metrics/',
    'lib/systems/demo/node.ts:2: "../../faults/mod.ts": a system\'s core (lib/systems/demo/) may not import lib/faults/',
    'lib/systems/demo/node.ts:3: "../../sim/mod.ts": a system\'s core (lib/systems/demo/) imports only types ' +
    "from the kernel (import type)",
    'lib/systems/demo/node.ts:4: "../../sim/clock.ts": an import from another folder names its mod.ts, not lib/sim/clock.ts',
    'lib/systems/demo/node.ts:5: "simple-statistics": a system\'s core (lib/systems/demo/) imports no packages ' +
    "(simple-statistics)",
  ]);
});

Deno.test("private files, a folder without mod.ts (lib/cli/ aside) and notebooks naming a file are found too", () => {
  const notebook = JSON.stringify({
    cells: [
      { cell_type: "markdown", source: ['import { x } from "../lib/viz/charts.ts";'] },
      {
        cell_type: "code",
        source: ['import { showChart } from "../lib/viz/mod.ts";\n', 'import { x } from "../lib/viz/charts.ts";'],
      },
    ],
  });
  const files = new Map([
    ["lib/viz/mod.ts", 'export * from "./charts.ts";'],
    ["lib/viz/charts.ts", 'import { quantile } from "./_stats.ts";'],
    ["lib/viz/_stats.ts", ""],
    ["lib/lab/report.ts", 'import { quantile } from "../viz/_stats.ts";'],
    ["notebooks/tour.ipynb", notebook],
    // lib/cli/ needs no mod.ts: it is the entry point (./faultline runs lib/cli/main.ts) and nothing imports it.
    ["lib/cli/main.ts", 'import { showChart } from "../viz/mod.ts";'],
  ]);
  assert.deepEqual(scanFiles(files).map(formatFinding), [
    "lib/lab/: a folder has a mod.ts, its public face",
    'lib/lab/report.ts:1: "../viz/_stats.ts": lib/viz/_stats.ts is private to lib/viz/',
    'notebooks/tour.ipynb:cell 2 line 2: "../lib/viz/charts.ts": a notebook imports only mod.ts files, not lib/viz/charts.ts',
  ]);
});

Deno.test("tests and the files only tests import are exempt; a file a production file imports is not", () => {
  const graph = new Map([
    ["lib/sim/mod.ts", ["lib/sim/simulation.ts"]],
    ["lib/sim/simulation.ts", []],
    ["lib/sim/simulation_test.ts", ["lib/sim/_testing.ts", "lib/sim/simulation.ts"]],
    ["lib/sim/_testing.ts", ["lib/sim/_fixtures.ts", "lib/metrics/mod.ts"]],
    ["lib/sim/_fixtures.ts", []],
    ["lib/metrics/mod.ts", []],
    ["lib/cli/main.ts", []],
    ["lib/cli/cli_test.ts", ["lib/cli/main.ts"]],
  ]);
  assert.deepEqual([...testSupport(graph)].sort(), ["lib/sim/_fixtures.ts", "lib/sim/_testing.ts"]);
  const files = new Map([
    ["lib/sim/mod.ts", ""],
    ["lib/sim/x_test.ts", 'import { table } from "../metrics/mod.ts";'],
    ["lib/sim/_testing.ts", 'import { table } from "../metrics/mod.ts";'],
    ["lib/sim/y_test.ts", 'import { helper } from "./_testing.ts";'],
    ["lib/metrics/mod.ts", ""],
  ]);
  assert.deepEqual(scanFiles(files), []);
});

Deno.test("a pending move that no longer violates the rule is reported, so the list only shrinks", () => {
  const moves = [
    { path: "lib/systems/demo/lab.ts", rule: "a system's core (lib/systems/demo/) may not import lib/lab/" },
    { path: "lib/systems/demo/gone.ts", rule: "a system's core (lib/systems/demo/) may not import lib/lab/" },
  ];
  const finding = { path: "lib/systems/demo/lab.ts", line: 3, specifier: "../../lab/mod.ts", rule: moves[0].rule };
  const other = { ...finding, path: "lib/systems/demo/node.ts" };
  assert.deepEqual(judge([finding, other], moves), { violations: [other], stale: [moves[1]] });
});

Deno.test("lib/ and the notebooks keep to the layers, with no pending move left", async () => {
  const files = await repositoryFiles();
  assert.ok(files.size > 100, `expected to scan the library, found ${files.size} files`);
  const { violations, stale } = judge(scanFiles(files));
  assert.deepEqual(violations.map(formatFinding), [], "imports that break the layering rule");
  assert.deepEqual(
    stale.map((move) => `${move.path}: ${move.rule}`),
    [],
    "pending moves that no longer break the rule: delete them from pendingMoves in lib/layering_scan.ts",
  );
  assert.deepEqual(pendingMoves, [], "every move has landed: new code keeps to the layers from the start");
});
