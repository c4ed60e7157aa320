/**
 * The layering rule, as code: which folder of `lib/` may import which, read from every import.
 *
 * The layers, lowest first (a folder may always import its own files):
 *
 * | layer                          | may import                                                   |
 * | ------------------------------ | ------------------------------------------------------------ |
 * | `lib/assert.ts`                | nothing in lib                                               |
 * | `lib/base/`                    | assert                                                       |
 * | `lib/history/`                 | assert, base                                                 |
 * | `lib/sim/` (the kernel)        | assert, base, history                                        |
 * | `lib/check/` (checkers)        | assert, base, history                                        |
 * | `lib/viz/` (charts)            | assert, base, history                                        |
 * | `lib/params.ts`                | assert                                                       |
 * | `lib/metrics/`                 | assert, base, history, sim                                   |
 * | `lib/faults/`                  | assert, base, history, sim                                   |
 * | `lib/harness/`                 | assert, base, history, sim, check, viz, metrics, faults, params |
 * | `lib/systems/<name>/`          | assert, base, `import type` of sim, other systems' cores; no packages |
 * | `lib/systems/<name>/experiments/` | everything above, every system; not lab, bench, cli       |
 * | `lib/lab/`                     | everything above; not bench, cli                             |
 * | `lib/node/` (the npm package)  | everything above and lab; not bench, cli                     |
 * | `lib/bench/`                   | everything but cli                                           |
 * | `lib/cli/`                     | everything                                                   |
 *
 * Three more rules hold between folders:
 * - an import from another folder names that folder's `mod.ts`, its public face (`lib/assert.ts`
 *   and `lib/params.ts` are single-file modules and are their own face; `lib/cli/` needs none, as
 *   the entry point nothing imports). A folder here is a top-level folder of `lib/` with its
 *   subfolders, except that each system and each system's `experiments/` is a folder of its own;
 * - a `_private.ts` file may be imported only from inside the directory that holds it;
 * - a notebook's code cells import only `mod.ts` files (and the single-file modules).
 *
 * Test code is exempt: a `*_test.ts` file, and test support (a file that only test files, or
 * other test support, import; computed from the import graph by {@linkcode testSupport}). Only
 * `import type` and `export type` count as type-only: `import { type A }` keeps the module at run
 * time. Imports of packages (`npm:`, `node:`, bare names) are outside the rule, except that a
 * system's core imports none.
 *
 * Files that break the rule today and are being moved by other work are listed in
 * {@linkcode pendingMoves}; a test fails when an entry no longer breaks it, so the list can only
 * shrink.
 *
 * @example
 * ```ts
 * import { checkImports, readImports } from "./layering_scan.ts";
 * const source = 'import { latencyHistogram } from "../metrics/mod.ts";';
 * const findings = checkImports("lib/sim/x.ts", readImports(source));
 * // one finding: line 1, the kernel (lib/sim/) may not import lib/metrics/
 * ```
 * @module
 */

/** One import read from a source: the specifier as written, its line, and whether it is type-only. */
export interface ImportLine {
  specifier: string;
  line: number;
  typeOnly: boolean;
}

/** An import that breaks the rule. */
export interface Finding {
  /** The importing file, relative to the repository root. */
  path: string;
  /** The notebook cell (1-based, counting every cell), for a notebook. */
  cell?: number;
  /** The line (1-based, within the cell for a notebook); 0 for a finding about a folder. */
  line: number;
  specifier: string;
  /** Which rule it breaks, in a sentence. */
  rule: string;
}

/** A known violation waiting for a file to move: the file and the rule it breaks, as in a finding. */
export interface PendingMove {
  path: string;
  rule: string;
  /** Why it waits, when that is not the move of the file itself. */
  note?: string;
}

/** The layer names, one per row of the table above. */
export type Layer =
  | "assert"
  | "base"
  | "history"
  | "sim"
  | "check"
  | "viz"
  | "params"
  | "metrics"
  | "faults"
  | "harness"
  | "system"
  | "experiments"
  | "lab"
  | "node"
  | "bench"
  | "cli"
  | "scan";

/** Where a file of `lib/` sits: its layer, its folder (the unit for the `mod.ts` rule) and system. */
export interface Place {
  layer: Layer;
  /** The folder whose `mod.ts` is its public face, with a trailing slash, or the file itself. */
  folder: string;
  /** The system's name, for `system` and `experiments`. */
  system?: string;
}

/** What the lab may import: everything beneath it, systems and their experiments included. */
const harnessBelow: Layer[] = ["assert", "base", "history", "sim", "check", "viz", "metrics", "faults", "params"];
const labBelow: Layer[] = [...harnessBelow, "harness", "system", "experiments"];

const below: Record<Exclude<Layer, "system" | "experiments">, Layer[]> = {
  assert: [],
  base: ["assert"],
  history: ["assert", "base"],
  sim: ["assert", "base", "history"],
  check: ["assert", "base", "history"],
  viz: ["assert", "base", "history"],
  params: ["assert"],
  metrics: ["assert", "base", "history", "sim"],
  faults: ["assert", "base", "history", "sim"],
  harness: harnessBelow,
  lab: labBelow,
  node: [...labBelow, "lab"],
  bench: [...labBelow, "lab", "scan"],
  cli: [...labBelow, "lab", "bench", "scan"],
  scan: ["assert"],
};

const experimentsMayImport: Layer[] = labBelow;

const names: Record<Layer, string> = {
  assert: "lib/assert.ts",
  base: "lib/base/",
  history: "lib/history/",
  sim: "the kernel (lib/sim/)",
  check: "the checkers (lib/check/)",
  viz: "the charts (lib/viz/)",
  params: "lib/params.ts",
  metrics: "lib/metrics/",
  faults: "lib/faults/",
  harness: "lib/harness/",
  system: "a system's core",
  experiments: "a system's experiments",
  lab: "lib/lab/",
  node: "the npm package's entry (lib/node/)",
  bench: "lib/bench/",
  cli: "lib/cli/",
  scan: "a lib/ scan",
};

const topFolders: Layer[] = [
  "base",
  "history",
  "sim",
  "check",
  "viz",
  "metrics",
  "faults",
  "harness",
  "lab",
  "node",
  "bench",
  "cli",
];

/**
 * The layer and folder of a file of `lib/`, or undefined for a path outside every layer.
 *
 * @param path a normalised path relative to the repository root, such as `lib/sim/rng.ts`
 */
export function placeOf(path: string): Place | undefined {
  if (path === "lib/assert.ts") return { layer: "assert", folder: path };
  if (path === "lib/params.ts") return { layer: "params", folder: path };
  if (path === "lib/determinism_scan.ts" || path === "lib/layering_scan.ts") return { layer: "scan", folder: path };
  const parts = path.split("/");
  if (parts[0] !== "lib" || parts.length < 3) return undefined;
  if (parts[1] === "systems") {
    if (parts.length < 4) return undefined;
    const system = parts[2];
    if (parts[3] === "experiments" && parts.length > 4) {
      return { layer: "experiments", folder: `lib/systems/${system}/experiments/`, system };
    }
    return { layer: "system", folder: `lib/systems/${system}/`, system };
  }
  const layer = topFolders.find((name) => name === parts[1]);
  return layer === undefined ? undefined : { layer, folder: `lib/${layer}/` };
}

/** Whether a file is a test: `*_test.ts`. */
export function isTest(path: string): boolean {
  return path.endsWith("_test.ts");
}

/**
 * Checks one file's imports against the rule.
 *
 * @param path the importing file, relative to the repository root (`lib/...` or `notebooks/...`)
 * @param imports its imports, from {@linkcode readImports}
 * @param cell the notebook cell the imports come from, for a notebook
 * @returns one finding per import that breaks a rule, in line order
 */
export function checkImports(path: string, imports: ImportLine[], cell?: number): Finding[] {
  const findings: Finding[] = [];
  for (const entry of imports) {
    const target = resolve(path, entry.specifier);
    const rule = target === undefined
      ? packageRule(path, entry.specifier)
      : path.startsWith("notebooks/")
      ? notebookRule(target)
      : libraryRule(path, target, entry.typeOnly);
    if (rule !== undefined) findings.push({ path, cell, line: entry.line, specifier: entry.specifier, rule });
  }
  return findings;
}

/** Packages are outside the rule, except in a system's core: the state machine needs none. */
function packageRule(path: string, specifier: string): string | undefined {
  const from = placeOf(path);
  if (from?.layer !== "system") return undefined;
  return `${describe(from)} imports no packages (${specifier})`;
}

function notebookRule(target: string): string | undefined {
  if (!target.startsWith("lib/")) return undefined;
  const place = placeOf(target);
  if (place !== undefined && place.folder === target) return undefined;
  if (target.endsWith("/mod.ts")) return undefined;
  return `a notebook imports only mod.ts files, not ${target}`;
}

function libraryRule(path: string, target: string, typeOnly: boolean): string | undefined {
  const from = placeOf(path);
  if (from === undefined) return `${path} belongs to no layer: add its folder to the layering rule`;
  if (!target.startsWith("lib/")) return `${names[from.layer]} may not import outside lib/ (${target})`;
  const to = placeOf(target);
  if (to === undefined) return `${target} belongs to no layer`;
  const privateRule = privateImportRule(path, target);
  if (privateRule !== undefined) return privateRule;
  if (from.folder === to.folder) return undefined;
  const layerRule = layerImportRule(from, to, typeOnly);
  if (layerRule !== undefined) return layerRule;
  if (to.folder !== target && !target.endsWith(`${to.folder}mod.ts`)) {
    return `an import from another folder names its mod.ts, not ${target}`;
  }
  return undefined;
}

function privateImportRule(path: string, target: string): string | undefined {
  const name = target.slice(target.lastIndexOf("/") + 1);
  if (!name.startsWith("_")) return undefined;
  const directory = target.slice(0, target.lastIndexOf("/") + 1);
  if (path.startsWith(directory)) return undefined;
  return `${target} is private to ${directory}`;
}

function layerImportRule(from: Place, to: Place, typeOnly: boolean): string | undefined {
  if (from.layer === "system") {
    if (to.layer === "assert" || to.layer === "base" || to.layer === "system") return undefined;
    if (to.layer === "sim" && typeOnly) return undefined;
    if (to.layer === "sim") return `${describe(from)} imports only types from the kernel (import type)`;
    return `${describe(from)} may not import ${describe(to)}`;
  }
  const allowed = from.layer === "experiments" ? experimentsMayImport : below[from.layer];
  return allowed.includes(to.layer) ? undefined : `${describe(from)} may not import ${describe(to)}`;
}

function describe(place: Place): string {
  if (place.layer === "system") return `a system's core (${place.folder})`;
  if (place.layer === "experiments") return `a system's experiments (${place.folder})`;
  return names[place.layer];
}

/**
 * Resolves a relative specifier against its importer; undefined for packages (`npm:`, `node:`,
 * bare names) and URLs.
 *
 * @param path the importing file, relative to the repository root
 * @param specifier the specifier as written
 * @returns the imported file, relative to the repository root (`../x` when it leaves the root)
 */
export function resolve(path: string, specifier: string): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
  const parts = path.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.length > 0 ? parts.pop() : parts.push("..");
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/**
 * Reads every import of a TypeScript source: `import ... from`, `export ... from`, `import "x"`,
 * `import("x")` with a literal, and the module a worker runs (`new Worker(new URL("x", ...))`). Comments, strings, template literals and regular expressions
 * are skipped, so an example in a JSDoc comment or a source held in a string is not an import.
 *
 * @param source the file's text
 * @returns the imports in order, with 1-based lines
 */
export function readImports(source: string): ImportLine[] {
  const code = maskNonCode(source);
  const found: ImportLine[] = [];
  const statement =
    /(?<![\w$.])(import|export)(\s+type\b)?\s*(?:[\w$*{},\s]*?\s*\bfrom\s*)?(["'])|(?<![\w$.])(?:import|new\s+Worker\s*\(\s*new\s+URL)\s*\(\s*(["'`])/g;
  for (const match of code.matchAll(statement)) {
    const isExport = match[1] === "export";
    const dynamic = match[4] !== undefined;
    const start = match.index + match[0].length;
    const quote = dynamic ? match[4] : match[3];
    const end = source.indexOf(quote, start);
    if (end < 0) continue;
    if (isExport && !/\bfrom\s*["']$/.test(match[0])) continue;
    if (source.slice(start, end).includes("${")) continue; // a computed specifier names no file
    found.push({
      specifier: source.slice(start, end),
      line: lineAt(source, start),
      typeOnly: !dynamic && match[2] !== undefined,
    });
  }
  return found;
}

function lineAt(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

const regexAfter = new Set("(,=:[!&|?{};+-*%<>~^".split(""));
const regexAfterWord = /\b(return|typeof|case|do|else|in|of|new|delete|void|throw|instanceof|yield|await)$/;

/**
 * The source with comments blanked and the insides of strings, templates and regular expressions
 * replaced by spaces; quotes and newlines stay, so offsets and lines match the original.
 */
export function maskNonCode(source: string): string {
  const out = source.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  const templateDepths: number[] = [];
  let braceDepth = 0;
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end < 0 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      const stop = skipQuoted(source, i + 1, c);
      blank(i + 1, stop - 1);
      i = stop;
    } else if (c === "`" || (c === "}" && templateDepths.at(-1) === braceDepth)) {
      if (c === "}") templateDepths.pop();
      const stop = skipTemplate(source, i + 1);
      blank(i + 1, source[stop - 1] === "`" ? stop - 1 : stop);
      if (source[stop - 1] === "{") templateDepths.push(braceDepth);
      i = stop;
    } else if (c === "/" && startsRegex(source, i)) {
      const stop = skipRegex(source, i + 1);
      blank(i + 1, stop - 1);
      i = stop;
    } else {
      if (c === "{") braceDepth++;
      if (c === "}") braceDepth--;
      i++;
    }
  }
  return out.join("");
}

function skipQuoted(source: string, start: number, quote: string): number {
  let i = start;
  while (i < source.length && source[i] !== quote && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
  return Math.min(i + 1, source.length);
}

/** Skips a template's text up to and including its closing backquote or the `${` of a substitution. */
function skipTemplate(source: string, start: number): number {
  let i = start;
  while (i < source.length) {
    if (source[i] === "\\") i += 2;
    else if (source[i] === "`") return i + 1;
    else if (source[i] === "$" && source[i + 1] === "{") return i + 2;
    else i++;
  }
  return source.length;
}

function startsRegex(source: string, slash: number): boolean {
  let j = slash - 1;
  while (j >= 0 && /\s/.test(source[j])) j--;
  if (j < 0) return true;
  if (regexAfter.has(source[j])) return true;
  return regexAfterWord.test(source.slice(Math.max(0, j - 10), j + 1));
}

function skipRegex(source: string, start: number): number {
  let i = start;
  let inClass = false;
  while (i < source.length && source[i] !== "\n") {
    const c = source[i];
    if (c === "\\") i += 2;
    else {
      if (c === "[") inClass = true;
      else if (c === "]") inClass = false;
      else if (c === "/" && !inClass) return i + 1;
      i++;
    }
  }
  return i;
}

/**
 * The files that run without being imported: the launcher `./faultline` runs `lib/cli/main.ts`
 * (which the CLI tests also import). Every `mod.ts` (a public face, there to be imported by users
 * and notebooks), notebooks, and files nothing imports are entry points too.
 */
export const entryPoints = ["lib/cli/main.ts"];

function isEntryPoint(file: string, importers: Map<string, string[]>): boolean {
  if (isTest(file)) return false;
  return entryPoints.includes(file) || file.endsWith("/mod.ts") || (importers.get(file) ?? []).length === 0;
}

/**
 * The non-test files that only tests (or other test support) import: test support, exempt from
 * the rule like the tests themselves. Production code is what the entry points reach: the
 * {@linkcode entryPoints}, every `mod.ts`, notebooks, and files nothing imports (dead code the
 * rule still covers).
 *
 * @param graph each file's imported files (resolved, relative to the repository root); notebooks
 *   included as importers
 * @returns the test-support files
 */
export function testSupport(graph: Map<string, string[]>): Set<string> {
  const importers = new Map<string, string[]>();
  for (const [file, targets] of graph) {
    for (const target of targets) importers.set(target, [...(importers.get(target) ?? []), file]);
  }
  const production = new Set<string>();
  const queue = [...graph.keys()].filter((file) => isEntryPoint(file, importers));
  for (const file of queue) production.add(file);
  while (queue.length > 0) {
    const file = queue.pop()!;
    for (const target of graph.get(file) ?? []) {
      if (isTest(target) || production.has(target)) continue;
      production.add(target);
      queue.push(target);
    }
  }
  return new Set([...graph.keys()].filter((file) => !isTest(file) && !production.has(file)));
}

/**
 * The code cells of a notebook, with each cell's number (1-based, counting every cell).
 *
 * @param notebook the `.ipynb` file's text
 */
export function notebookCells(notebook: string): { cell: number; source: string }[] {
  const parsed = JSON.parse(notebook) as { cells: { cell_type: string; source: string | string[] }[] };
  return parsed.cells.flatMap((cell, index) =>
    cell.cell_type === "code"
      ? [{ cell: index + 1, source: Array.isArray(cell.source) ? cell.source.join("") : cell.source }]
      : []
  );
}

/**
 * Violations of the rule that other work is removing by moving files: each is the file and the
 * rule its finding names. The test fails when one of them is no longer found, so the list only
 * shrinks.
 *
 * Empty since every system's experiments moved to their `experiments/` folder: a later move
 * that cannot land in one change lists its findings here for the time it takes.
 */
export const pendingMoves: PendingMove[] = [];

/**
 * Checks a whole tree: every `.ts` file of `lib/` and every notebook, given as path and text.
 * Tests and test support are skipped.
 *
 * @param files each file's path (relative to the repository root) and text
 * @returns every finding, sorted by path and line
 */
export function scanFiles(files: Map<string, string>): Finding[] {
  const imports = new Map<string, { cell?: number; imports: ImportLine[] }[]>();
  for (const [path, text] of files) {
    if (path.endsWith(".ipynb")) {
      imports.set(path, notebookCells(text).map(({ cell, source }) => ({ cell, imports: readImports(source) })));
    } else imports.set(path, [{ imports: readImports(text) }]);
  }
  const graph = new Map<string, string[]>();
  for (const [path, parts] of imports) {
    const targets = parts.flatMap((part) => part.imports.map((entry) => resolve(path, entry.specifier)));
    graph.set(path, targets.filter((target): target is string => target !== undefined && files.has(target)));
  }
  const support = testSupport(graph);
  const findings: Finding[] = [];
  for (const [path, parts] of imports) {
    if (isTest(path) || support.has(path)) continue;
    for (const part of parts) findings.push(...checkImports(path, part.imports, part.cell));
  }
  findings.push(...missingFaces([...files.keys()]));
  return findings.sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : (a.cell ?? 0) - (b.cell ?? 0) || a.line - b.line
  );
}

/**
 * The folders without a `mod.ts`, as findings on line 0 of the folder. `lib/cli/` needs none: it
 * is the entry point, and nothing imports it.
 *
 * @param paths every file's path, relative to the repository root
 */
export function missingFaces(paths: string[]): Finding[] {
  const folders = new Set<string>();
  for (const path of paths) {
    const place = placeOf(path);
    if (place !== undefined && place.folder.endsWith("/") && place.layer !== "cli") folders.add(place.folder);
  }
  return [...folders].filter((folder) => !paths.includes(`${folder}mod.ts`)).map((folder) => ({
    path: folder,
    line: 0,
    specifier: "",
    rule: "a folder has a mod.ts, its public face",
  }));
}

/**
 * A finding as one line: `path:line: "specifier": rule` (a notebook's line is `cell N line M`;
 * a finding about a folder has no line).
 */
export function formatFinding(finding: Finding): string {
  if (finding.line === 0) return `${finding.path}: ${finding.rule}`;
  const where = finding.cell === undefined ? `${finding.line}` : `cell ${finding.cell} line ${finding.line}`;
  return `${finding.path}:${where}: "${finding.specifier}": ${finding.rule}`;
}

/** Whether a pending move covers a finding: same file, same rule. */
export function isPending(finding: Finding, moves: readonly PendingMove[] = pendingMoves): boolean {
  return moves.some((move) => move.path === finding.path && move.rule === finding.rule);
}

/**
 * Splits findings into violations (not pending) and the pending moves no finding matches any
 * more (stale entries to delete, so the list only shrinks).
 *
 * @param findings from {@linkcode scanFiles}
 * @param moves the allowlist (defaults to {@linkcode pendingMoves})
 */
export function judge(
  findings: readonly Finding[],
  moves: readonly PendingMove[] = pendingMoves,
): { violations: Finding[]; stale: PendingMove[] } {
  return {
    violations: findings.filter((finding) => !isPending(finding, moves)),
    stale: moves.filter((move) => !findings.some((f) => f.path === move.path && f.rule === move.rule)),
  };
}
