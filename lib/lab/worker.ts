/**
 * A sweep worker: runs cells sent by the sweep in its own isolate and posts back their rows. An
 * exception inside a run becomes a row with the error, not the end of the sweep. A worker loads
 * only the modules of the system whose experiment it runs (`experiment_modules.ts`), so a sweep of
 * one system does not pay, in every worker, for loading all the others.
 *
 * @module
 */
import { combineValidity } from "../check/mod.ts";
import type { ParamValues } from "../params.ts";
import type { Experiment } from "./experiment.ts";
import { type ExperimentSystem, systemExperimentLoaders } from "./experiment_modules.ts";
import { type PackedHistory, packHistory } from "./history_pack.ts";

/** A request to run one cell. */
export interface CellRequest {
  index: number;
  experiment: string;
  /**
   * The system whose experiments hold `experiment` (`registry.ts`'s `experimentSystemOf`): only
   * its modules are loaded. Without it the whole registry is, as the CLI loads it.
   */
  system?: ExperimentSystem;
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
    const output = (await experimentFor(request)).run(request.params, request.seed);
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

const loadedSystems = new Map<ExperimentSystem, Promise<readonly Experiment[]>>();

async function experimentFor(request: CellRequest): Promise<Experiment> {
  const system = request.system;
  if (system !== undefined && Object.hasOwn(systemExperimentLoaders, system)) {
    let loading = loadedSystems.get(system);
    if (loading === undefined) loadedSystems.set(system, loading = systemExperimentLoaders[system]());
    const found = (await loading).find((e) => e.name === request.experiment);
    if (found !== undefined) return found;
  }
  // No system named, or a name it does not hold: the registry looks it up and names what is allowed.
  return (await import("./registry.ts")).experimentNamed(request.experiment);
}

// Inside a worker, answer each request in turn, in the order they came. The sweep keeps one more
// request queued behind the running one, so the next cell starts as soon as one ends, without
// waiting for the sweep's thread to read the reply and send another; the replies' order tells the
// sweep which cell a failure of the worker belongs to.
// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
if (typeof scope.WorkerGlobalScope !== "undefined" && scope instanceof scope.WorkerGlobalScope) {
  let answered = Promise.resolve();
  scope.onmessage = (event: MessageEvent<CellRequest>) => {
    answered = answered.then(async () => scope.postMessage(await runCell(event.data)));
  };
}
