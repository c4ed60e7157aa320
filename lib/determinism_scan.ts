/**
 * The determinism rule, as code: library sources must not read the wall clock, draw unseeded
 * randomness, or depend on timing, garbage collection or file-system order.
 *
 * Where the line is: `lib/cli/` (wall time in manifests, progress) and `lib/bench/` (measuring is
 * their job) may read the clock. Elsewhere a deliberate, documented use carries the marker
 * `// wall-clock ok` on its line, and a directory listing that is sorted before use carries
 * `// order-safe`. Tests run the scan over the library code in `lib/` (test files excepted: they
 * may wait on real processes).
 *
 * @example
 * ```ts
 * import { scanSource } from "./determinism_scan.ts";
 * scanSource("const t = Date.now();", "lib/x.ts"); // wall-clock ok: a string to scan, one finding
 * ```
 * @module
 */

/** A forbidden construct and why it is forbidden. */
interface Rule {
  pattern: RegExp;
  why: string;
}

const rules: Rule[] = [
  { pattern: /\bMath\.random\b/, why: "unseeded randomness: draw from an Rng stream" },
  { pattern: /\bDate\.now\b/, why: "wall clock: use virtual time (sim.nowUs or api.now())" },
  { pattern: /\bnew Date\(/, why: "wall clock: use virtual time" },
  { pattern: /\bperformance\.now\b/, why: "wall clock: use virtual time" },
  { pattern: /\bprocess\.hrtime\b/, why: "wall clock: use virtual time" },
  { pattern: /\bset(Timeout|Interval)\s*\(/, why: "real timers: use api.setTimer or sim.at" },
  { pattern: /\bcrypto\.(getRandomValues|randomUUID)\b/, why: "unseeded randomness" },
  { pattern: /\bseedrandom\s*\(\s*\)/, why: "seedrandom() without a seed draws entropy" },
  { pattern: /\bentropy\s*:\s*true\b/, why: "seedrandom with entropy is unseeded" },
  { pattern: /\b(WeakRef|FinalizationRegistry)\b/, why: "depends on garbage-collection timing" },
  { pattern: /\bPromise\.(race|any)\b/, why: "result depends on real timing" },
  { pattern: /\breadDir(Sync)?\s*\(/, why: "file-system order is unspecified: sort the names" },
];

/** Directories (below `lib/`) where the wall clock and real timing are allowed. */
export const wallClockAllowed = ["lib/cli/", "lib/bench/"];

/** A line that breaks the rule. */
export interface Finding {
  path: string;
  line: number;
  text: string;
  why: string;
}

/** Finds forbidden constructs in one file's text, skipping comments and marked lines. */
export function scanSource(text: string, path: string): Finding[] {
  const findings: Finding[] = [];
  text.split("\n").forEach((raw, i) => {
    if (raw.includes("// wall-clock ok") || raw.includes("// order-safe")) return;
    const code = raw.replace(/\/\/.*$/, "").replace(/^\s*\*.*$/, "");
    for (const rule of rules) {
      if (rule.pattern.test(code)) findings.push({ path, line: i + 1, text: raw.trim(), why: rule.why });
    }
  });
  return findings;
}
