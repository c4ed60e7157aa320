/**
 * The isolation checker: from a history of transactions to anomalies and a verdict per
 * consistency model, in the manner of Elle (Kingsbury & Alvaro, VLDB 2020).
 *
 * 1. Pair events into transactions and check their micro-ops (InputError on bad input).
 * 2. Find the anomalies visible without a graph (aborted and intermediate reads, internal
 *    inconsistency, lost updates, incompatible orders, ...) and infer ww, wr and rw dependencies
 *    from the workload's data model; add process order and, when asked, real-time order.
 * 3. Search the graph for cycles, first with data edges only, then with process edges, then with
 *    real-time edges, and classify each (G0, G1c, G-single, G-nonadjacent, G2, with "-process"
 *    or "-realtime" when it needs those edges).
 * 4. Judge each model by the anomalies it forbids.
 *
 * A step budget bounds graph building and search: when it runs out, what was found stands (all of
 * it is sound), a model with a forbidden anomaly is false, a model whose scope was searched to the
 * end is true, and every other model is "unknown". Real-time edges are built and searched last,
 * so a budget spent there leaves the serializable and session verdicts decided.
 * "valid" is the verdict for the model asked (default serializable). As with Elle, true means no
 * forbidden anomaly was found in what could be inferred, which is not a proof that an order
 * exists: see the module docs of list_append.ts and rw_register.ts for what is not inferred.
 *
 * @example
 * ```ts
 * import { checkIsolation } from "./check.ts";
 * const result = checkIsolation([
 *   { process: 0, type: "invoke", f: "txn", value: [["append", "x", 1]], time: 0 },
 *   { process: 0, type: "ok", f: "txn", value: [["append", "x", 1]], time: 1 },
 *   { process: 1, type: "invoke", f: "txn", value: [["r", "x", null]], time: 2 },
 *   { process: 1, type: "ok", f: "txn", value: [["r", "x", [1]]], time: 3 },
 * ], { workload: "list-append" });
 * result.valid; // true
 * ```
 * @module
 */
import { checkNumber, InputError } from "../../assert.ts";
import type { Op } from "../../history/mod.ts";
import type { CheckResult, Validity } from "../result.ts";
import { AnomalyLog } from "./anomaly_log.ts";
import { Budget, BudgetExhausted } from "./budget.ts";
import { type Scope, searchCycles } from "./cycles.ts";
import { explainCycle } from "./explain.ts";
import { DependencyGraph } from "./graph.ts";
import { analyzeListAppend } from "./list_append.ts";
import { findLostUpdates } from "./lost_update.ts";
import { checkModelName, consistencyModels, forbids, type ModelName, modelNames, needsRealtime } from "./models.ts";
import { analyzeRwRegister } from "./rw_register.ts";
import { addProcessEdges, addRealtimeEdges } from "./time_order.ts";
import { parseTransactions } from "./transactions.ts";
import { type Anomaly, type AnomalyType, cycleTypes, directTypes, type Transaction, type Workload } from "./types.ts";

/** Options of an isolation check. */
export interface IsolationOptions {
  /** How to read the micro-ops: "list-append" or "rw-register". */
  workload: Workload;
  /** The model whose verdict is `valid`. Default "serializable". */
  model?: ModelName;
  /**
   * Infer real-time edges, and judge the models that need them (strict-serializable,
   * strong-snapshot-isolation). Default: true exactly when `model` needs them.
   */
  realtime?: boolean;
  /** Steps (edges added plus edges followed in searches) before the verdict is "unknown". Default 20 million. */
  stepsMax?: number;
  /** Candidate cycles tried per anomaly class and component, the shortest reported. Default 8. */
  cycleAttemptsMax?: number;
  /** Anomalies kept (with explanations) per type; all are counted. Default 8. */
  anomaliesPerTypeMax?: number;
}

/** The result of an isolation check. */
export interface IsolationResult {
  /** The verdict for `model`: false when an anomaly it forbids was found. */
  valid: Validity;
  model: ModelName;
  /** Anomalies kept, most severe types first, each with its explanation. */
  anomalies: Anomaly[];
  /** How many anomalies of each type were found (more than are kept, for large histories). */
  anomalyCounts: Partial<Record<AnomalyType, number>>;
  /**
   * The verdict for every model judged. Models that need real-time edges appear only when
   * `realtime` is on. A value is "unknown" only when the budget ran out (or nothing committed).
   */
  models: Partial<Record<ModelName, Validity>>;
  /** One line a person can read. */
  message: string;
  transactions: { ok: number; info: number; fail: number };
  /** Edges in the dependency graph (distinct pair and kind). */
  edges: number;
  steps: number;
}

/** The order anomalies are listed in: Adya's by severity, the others, then the session and real-time cycles. */
const typeOrder: string[] = [
  "G0",
  "G1a",
  "G1b",
  ...cycleTypes.slice(1),
  ...directTypes.filter((t) => t !== "G1a" && t !== "G1b"),
  ...["-process", "-realtime"].flatMap((suffix) => cycleTypes.map((t) => t + suffix)),
];

/**
 * Checks a history of transactions for isolation anomalies.
 *
 * @param events the history (client events of f "txn"; nemesis events are skipped)
 * @param options the workload, and optionally the model to judge, real time, and budgets
 * @returns the verdict for the model asked, the anomalies with explanations, and every model's verdict
 */
export function checkIsolation(events: readonly Op[], options: IsolationOptions): IsolationResult {
  const settings = checkOptions(options);
  const txns = parseTransactions(events, settings.workload);
  const budget = new Budget(settings.stepsMax);
  const graph = new DependencyGraph(txns.length, budget);
  const log = new AnomalyLog(settings.anomaliesPerTypeMax);
  // Scopes whose search finished: their models are decided even if a later stage runs out.
  const searched = new Set<Scope>();
  let exhausted: string | undefined;
  try {
    findLostUpdates(txns, settings.workload, log);
    if (settings.workload === "list-append") analyzeListAppend(txns, graph, log);
    else analyzeRwRegister(txns, graph, log);
    addProcessEdges(txns, graph);
    const search = (scope: Scope) => {
      searchScope(txns, graph, scope, settings, budget, log);
      searched.add(scope);
    };
    search("data");
    search("process");
    // Real-time edges come last: the other scopes never follow them.
    if (settings.realtime) {
      addRealtimeEdges(txns, graph);
      search("realtime");
    }
  } catch (error) {
    if (!(error instanceof BudgetExhausted)) throw error;
    exhausted = error.message;
  }
  const transactions = {
    ok: txns.filter((t) => t.outcome === "ok").length,
    info: txns.filter((t) => t.outcome === "info").length,
    fail: txns.filter((t) => t.outcome === "fail").length,
  };
  const undecided = exhausted ?? (transactions.ok === 0 ? "no transaction committed" : undefined);
  const models = judgeModels(log.types(), settings.realtime, transactions.ok === 0 ? new Set() : searched);
  const anomalies = log.kept().sort((a, b) => typeOrder.indexOf(a.type) - typeOrder.indexOf(b.type));
  const valid = models[settings.model]!;
  return {
    valid,
    model: settings.model,
    anomalies,
    anomalyCounts: log.counts(),
    models,
    message: summarize(settings.model, valid, anomalies, log, transactions, undecided),
    transactions,
    edges: graph.edgeCount,
    steps: budget.steps,
  };
}

/** The check as one of the composable checker results (see ../result.ts). */
export function isolationCheckResult(result: IsolationResult): CheckResult {
  return {
    checker: `isolation (${result.model})`,
    valid: result.valid,
    message: result.message,
    details: { anomalies: result.anomalies, anomalyCounts: result.anomalyCounts, models: result.models },
  };
}

type Settings = Required<IsolationOptions>;

function checkOptions(options: IsolationOptions): Settings {
  if (options.workload !== "list-append" && options.workload !== "rw-register") {
    throw new InputError(`unknown workload ${JSON.stringify(options.workload)}; known: list-append, rw-register`);
  }
  const model = checkModelName(options.model ?? "serializable");
  const realtime = options.realtime ?? needsRealtime(model);
  if (!realtime && needsRealtime(model)) {
    throw new InputError(`model ${model} is judged on real-time order: leave realtime on`);
  }
  return {
    workload: options.workload,
    model,
    realtime,
    stepsMax: checkNumber("stepsMax", options.stepsMax ?? 20_000_000, { min: 0, integer: true }),
    cycleAttemptsMax: checkNumber("cycleAttemptsMax", options.cycleAttemptsMax ?? 8, { min: 1, integer: true }),
    anomaliesPerTypeMax: checkNumber("anomaliesPerTypeMax", options.anomaliesPerTypeMax ?? 8, {
      min: 1,
      integer: true,
    }),
  };
}

/**
 * Searches one scope. Each scope reports only the cycles that need its edges (see cycles.ts), so
 * every cycle is explained once.
 */
function searchScope(
  txns: readonly Transaction[],
  graph: DependencyGraph,
  scope: Scope,
  settings: Settings,
  budget: Budget,
  log: AnomalyLog,
): void {
  const vertices = txns.filter((t) => t.outcome !== "fail").map((t) => t.id);
  searchCycles(graph, vertices, scope, { budget, attemptsMax: settings.cycleAttemptsMax }, (cycle) => {
    log.add(cycle.type, () => explainCycle(cycle, txns, graph, settings.workload));
  });
}

/**
 * A model is false when an anomaly it forbids was found, true when the search of every scope up
 * to its own finished without one, and "unknown" otherwise.
 */
function judgeModels(
  types: AnomalyType[],
  realtime: boolean,
  searched: ReadonlySet<Scope>,
): Partial<Record<ModelName, Validity>> {
  const models: Partial<Record<ModelName, Validity>> = {};
  for (const model of modelNames) {
    if (needsRealtime(model) && !realtime) continue;
    const violated = types.some((type) => forbids(model, type));
    models[model] = violated ? false : searched.has(consistencyModels[model].scope) ? true : "unknown";
  }
  return models;
}

function summarize(
  model: ModelName,
  valid: Validity,
  anomalies: readonly Anomaly[],
  log: AnomalyLog,
  transactions: IsolationResult["transactions"],
  undecided: string | undefined,
): string {
  const counted =
    `${transactions.ok} committed, ${transactions.info} unknown, ${transactions.fail} failed transactions`;
  if (valid === true) return `${model}: no forbidden anomaly among ${counted}`;
  if (valid === "unknown") return `${model}: unknown (${undecided}); no forbidden anomaly found among ${counted}`;
  const forbidden = log.types().filter((type) => forbids(model, type));
  const counts = forbidden.map((type) => `${type} ×${log.counts()[type]}`).join(", ");
  const first = anomalies.find((a) => forbids(model, a.type));
  return `${model} violated by ${counts}: ${first?.explanation.split("\n")[0] ?? ""}`;
}
