/**
 * A sweep worker: runs cells sent by the sweep in its own isolate and posts back their rows. An
 * exception inside a run becomes a row with the error, not the end of the sweep.
 *
 * @module
 */
import { combineValidity } from "../check/mod.ts";
import type { ParamValues } from "../params.ts";
import { experimentNamed } from "./registry.ts";
import { type PackedHistory, packHistory } from "./run.ts";

/** A request to run one cell. */
export interface CellRequest {
  index: number;
  experiment: string;
  params: ParamValues;
  seed: number;
  keepHistory: boolean;
}

/** A finished cell. The history is included when kept, or when a check did not pass. */
export interface CellReply {
  index: number;
  figures: Record<string, unknown>;
  checks: { checker: string; valid: unknown; message: string }[];
  verdict: boolean | "unknown";
  traceHash: string;
  events: number;
  error?: string;
  /**
   * What kind of error ended the run: `input` (an InputError: parameters that cannot run
   * together) or `internal` (Faultline itself failed). Neither is a violation, and neither is
   * cached. An AssertionError is neither: an invariant the code asserts broke during the run,
   * which is a found bug, so it counts as a failed check, with its seed.
   */
  errorKind?: "input" | "internal";
  /** The history as a run keeps it: plain text, or gzipped once long (never one string past 2^29 characters). */
  history?: PackedHistory;
}

/** Runs one cell; never throws. */
export async function runCell(request: CellRequest): Promise<CellReply> {
  try {
    const output = experimentNamed(request.experiment).run(request.params, request.seed);
    const verdict = combineValidity(output.checks.map((c) => c.valid));
    const keep = request.keepHistory || verdict !== true;
    return {
      index: request.index,
      figures: output.figures,
      checks: output.checks.map(({ checker, valid, message }) => ({ checker, valid, message })),
      verdict,
      traceHash: output.traceHash,
      events: output.events,
      history: keep ? await packHistory(output.history.events) : undefined,
    };
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    return {
      index: request.index,
      figures: {},
      checks: [],
      verdict: false,
      traceHash: "",
      events: 0,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      errorKind: name === "InputError" ? "input" : name === "AssertionError" ? undefined : "internal",
    };
  }
}

// Inside a worker, answer each request in turn.
// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
if (typeof scope.WorkerGlobalScope !== "undefined" && scope instanceof scope.WorkerGlobalScope) {
  // One request at a time: the sweep sends the next only after this reply.
  scope.onmessage = async (event: MessageEvent<CellRequest>) => scope.postMessage(await runCell(event.data));
}
