/**
 * The suite's check that a notebook run under Node (the tslab kernel, on `dist/`) ran what Deno
 * runs: the notebook prints the trace hash of each run it makes, in a line
 * `trace hash of EXPERIMENT, seed N, default parameters: HASH`, and the suite runs the same
 * experiment and seed under Deno and requires the same hash.
 *
 * @module
 */
import { experimentNamed, runExperiment } from "../lab/mod.ts";

/** A run a notebook reports: which experiment and seed (default parameters), and its trace hash. */
export interface HashClaim {
  experiment: string;
  seed: number;
  traceHash: string;
}

const claimLine = /trace hash of ([\w-]+), seed (\d+), default parameters: ([0-9a-f]+)/g;

/** The kernel a notebook names in its metadata (`deno`, `tslab`, ...); undefined when it names none. */
export function kernelOf(notebookText: string): string | undefined {
  const name = JSON.parse(notebookText)?.metadata?.kernelspec?.name;
  return typeof name === "string" ? name : undefined;
}

/** The hash claims in an executed notebook's printed output (stream outputs), in order. */
export function hashClaims(notebookText: string): HashClaim[] {
  const notebook = JSON.parse(notebookText) as { cells?: { outputs?: { text?: string | string[] }[] }[] };
  const claims: HashClaim[] = [];
  for (const cell of notebook.cells ?? []) {
    for (const output of cell.outputs ?? []) {
      const text = Array.isArray(output.text) ? output.text.join("") : output.text ?? "";
      for (const [, experiment, seed, traceHash] of text.matchAll(claimLine)) {
        claims.push({ experiment, seed: Number(seed), traceHash });
      }
    }
  }
  return claims;
}

/**
 * Runs each claimed run under Deno and compares hashes. Returns undefined when every hash
 * matches, or a sentence naming the first that does not; a notebook that claims no run fails too,
 * since then nothing was compared.
 */
export async function compareWithDeno(claims: HashClaim[]): Promise<string | undefined> {
  if (claims.length === 0) {
    return "the notebook printed no line `trace hash of EXPERIMENT, seed N, default parameters: HASH` to compare";
  }
  for (const claim of claims) {
    const run = await runExperiment(experimentNamed(claim.experiment), {}, claim.seed, () => 0);
    if (run.output.traceHash !== claim.traceHash) {
      return `${claim.experiment} seed ${claim.seed}: trace hash ${claim.traceHash} under Node, ${run.output.traceHash} under Deno`;
    }
  }
  return undefined;
}
